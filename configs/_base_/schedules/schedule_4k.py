# The shared long schedule of the embedded dataset: the short one (schedule_2k.py) run for 4k iterations.
# The BESTIE instance models use it: after 2k iterations their semantic branch is still learning. The wsscoseg initial model uses it too, and its final model twice its length
# (the ratio of wsscoseg cores/config.py); their bounds are DeepLabV3 on the same lengths
# (configs/fully_supervised/deeplabv3_r18-d8_1xb8-4k_synthetic-112x112.py and its 8k sibling).
_base_ = ['./schedule_2k.py']
max_iters = 4000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=100, end=max_iters, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
