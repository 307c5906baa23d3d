# The embedded dataset's stand-in for ImageNet pretraining (docs/synthetic_dataset.md, "Pretraining stand-in").
# The CAM classifier of configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py (shared small backbone ResNetV1c-18 at 1/4 width,
# OS 8) learns the six classes from 1,200 one-object images whose context (rails, water, sky) is drawn
# independently of the class, as in ImageNet, where a context such as the sky is shared by many of the 1,000
# classes and so does not identify one. Its backbone is the "ImageNet weights" of the configs whose method
# assumes them (W-OoD: configs/wood/*_synthetic*.py, and its bound
# configs/fully_supervised/deeplabv3-pretrained_r18-d8_1xb8-2k_synthetic-112x112.py); they read
#     work_dirs/cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112/iter_4000.pth
# and warn and start from random weights if it is absent. Train it first:
#     python tools/train.py configs/pretrain/cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112.py
# Validation: CAM mIoU sweep on the embedded val split (the target domain, GT for evaluation only).
_base_ = ['../wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py']
# from scratch: every stage and BatchNorm trained, no initialisation to read, the shared lr 0.05
model = dict(backbone=dict(norm_eval=False, frozen_stages=-1, init_cfg=None), freeze_bn=False)
optim_wrapper = dict(optimizer=dict(lr=0.05))
max_iters = 4000  # the shared long schedule (schedule_4k.py)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=100, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
train_dataloader = dict(
    dataset=dict(
        type='SyntheticPretrainDataset',
        data_root='{{$MMWSSS_PRETRAIN_ROOT:data/synthetic_pretrain}}'))
