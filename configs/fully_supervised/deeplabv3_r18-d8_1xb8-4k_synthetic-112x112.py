# The fully-supervised DeepLabV3 bound on the long embedded schedule (4k iterations, schedule_4k.py): the bound
# of the methods whose embedded models train that long (wsscoseg), so that a ratio compares equal schedules.
_base_ = [
    '../_base_/models/deeplabv3_r18-d8.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_4k.py'
]
