# The fully-supervised DeepLabV3 bound at 8k iterations (the long schedule, schedule_4k.py, run twice as long):
# the bound of the wsscoseg final model, which trains 8k iterations (wsscoseg's final/initial ratio, see its config), so
# that its ratio compares equal schedules.
_base_ = ['./deeplabv3_r18-d8_1xb8-4k_synthetic-112x112.py']
max_iters = 8000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=100, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
