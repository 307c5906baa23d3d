# BLPSeg, ResNet-101 (deep stem) + PPM/FPN + LAM, PASCAL VOC 2012 train_aug scribbles, 2 GPUs x 5,
# crop 384, 42,320 iterations (40 epochs), self-training from 10k (BLPSeg experiment/blpseg-voc/config.py).
#   tools/dist_train.sh configs/blpseg/r101_voc.py 2 [--amp]
#   tools/test.py configs/blpseg/r101_voc.py CKPT --tta     (0.5/0.75/1/1.25 x flip, logits averaged)
_base_ = [
    '../_base_/models/blpseg_r101.py', '../_base_/datasets/voc12aug_scribble.py',
    '../_base_/default_runtime.py'
]
model = dict(decode_head=dict(num_classes=21))
# self-training from 10k; RNGStateHook repeated from the runtime base (a list replaces the base's)
custom_hooks = [dict(type='PseudoLabelSwitchHook', start_iter=10000), dict(type='RNGStateHook')]
# AdamW, one group, wd on every parameter (incl. norms/biases), no warm-up (BLPSeg experiment/blpseg-voc/config.py).
# --amp switches to AmpOptimWrapper (dynamic loss scale); LAM always runs in float32.
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=3e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01))
max_iters = 42320
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3))
train_dataloader = dict(batch_size=5)  # x 2 GPUs = 10 (BLPSeg experiment/blpseg-voc/config.py)
tta_model = dict(type='WSSSTTAModel', merge='logit')  # BLPSeg test.py: mean of logits, then softmax
# Optional DenseCRF after TTA (BLPSeg experiment/blpseg-voc/test.py: 1 iteration, Gaussian sxy 3 compat 3, bilateral sxy
# 32 srgb 13 compat 10); the README number 77.56 is without CRF.
crf_preset = 'blpseg'
randomness = dict(seed=1)
