# The main job's suite (tools/main_job.py): one entry per supervision the single-stage methods cover, each
# next to its bound, on the shared small backbone; the semantic rows on the shared 2k schedule, the BESTIE rows
# on the long 4k one (the rows of `embedded_suite.py`, which adds DeepLabV3 and the partial-CE baseline). Kept
# to four runs so that `--jobs 2` finishes in about 35 min on 2 CPU cores: two pairs of runs side by side, the two
# BESTIE runs (the slowest) first. The schedules are the shortest at which the rows converge (UPerNet reaches
# 34.70 mIoU after 1k iterations and 66-68 after 2k; the BESTIE oracle 42.69 mAP50 after 2k and 52.89 after 4k).
# Rows appear in this order in the table.
extends = 'embedded_suite.py'
select = ['bestie_oracle', 'bestie_point', 'fully_supervised_upernet', 'blpseg']
