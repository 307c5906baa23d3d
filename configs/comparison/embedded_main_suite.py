# The main job's suite (tools/main_job.py): one entry per supervision the single-stage methods cover, each
# next to its bound, on the shared small backbone; the semantic rows on the shared 2k schedule, the BESTIE rows
# on the long 4k one (the rows of `embedded_suite.py`, which adds DeepLabV3 and the partial-CE baseline). Kept
# to four runs so that `--jobs 2` finishes in about 35 min on 2 CPU cores (34.5 min in session 18): two pairs of
# runs side by side, the two BESTIE runs (the slowest) first. Shorter schedules were measured and rejected: UPerNet 34.70
# and the BESTIE oracle 12.77 mAP50 after 1k iterations, against 66-68 and 30-36 after 2k, and the BESTIE
# oracle 42.69 after 2k against 52.89 after 4k (seed 0), so the rows would compare unconverged models.
# Rows appear in this order in the table.
extends = 'embedded_suite.py'
select = ['bestie_oracle', 'bestie_point', 'fully_supervised_upernet', 'blpseg']
