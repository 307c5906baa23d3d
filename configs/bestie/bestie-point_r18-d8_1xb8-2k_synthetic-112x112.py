# BESTIE with point labels (bestie-point_r18-d8_1xb8-4k_synthetic-112x112.py) on half the iterations: the main
# job's BESTIE row (tools/main_job.py), sized for 2 CPU cores. Twice the peak learning rate keeps the summed
# learning rate of the 4k warm-up + poly schedule; channels_last (ChannelsLastHook) makes the depthwise decoder
# convolutions faster on CPU without changing what is computed.
_base_ = './bestie-point_r18-d8_1xb8-4k_synthetic-112x112.py'
max_iters = 2000
optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=100, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
custom_hooks = [dict(type='SetIterInfoHook'), dict(type='RNGStateHook'), dict(type='ChannelsLastHook')]
