# The main job's suite (tools/main_job.py): one entry per supervision the single-stage methods cover, each
# next to its bound, on the shared small backbone (the rows of `embedded_suite.py`, which adds DeepLabV3 and the
# partial-CE baseline): the semantic rows on the shared 2k schedule, the BESTIE rows on the long 4k one, whose
# instance models are not converged after 2k. Four runs, two side by side on 2 CPU cores (`--jobs 2`).
# Rows appear in this order in the table.
extends = 'embedded_suite.py'
select = ['bestie_oracle', 'bestie_point', 'fully_supervised_upernet', 'blpseg']
# start order (highest first): the two BESTIE runs, the longest, side by side; the oracle run ends first and
# takes BLPSeg, the longer of the two short runs, so that both slots end at about the same time
priority = dict(bestie_point=3, bestie_oracle=2, blpseg=1)
