# BLPSeg on PASCAL-Context scribbles: 60 classes incl. background, lr 2.4e-5, 2 GPUs x 4,
# 53,040 iterations (85 epochs), self-training from 20k (BLPSeg experiment/blpseg-voc/config.py).
_base_ = [
    '../_base_/models/blpseg_r101.py', '../_base_/datasets/pascal_context_scribble.py',
    '../_base_/default_runtime.py'
]
model = dict(decode_head=dict(num_classes=60))
# self-training from 20k; RNGStateHook repeated from the runtime base (a list replaces the base's)
custom_hooks = [dict(type='PseudoLabelSwitchHook', start_iter=20000), dict(type='RNGStateHook')]
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=2.4e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01))
max_iters = 53040
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3))
train_dataloader = dict(batch_size=4)  # x 2 GPUs = 8
tta_model = dict(type='WSSSTTAModel', merge='logit')
randomness = dict(seed=1)
