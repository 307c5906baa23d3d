# Fully-supervised upper bound on the embedded dataset: the bound every weakly-supervised method
# on the same backbone and schedule is compared to.
_base_ = [
    '../_base_/models/deeplabv3_r18-d8.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_2k.py'
]
