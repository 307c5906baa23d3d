# "Plain" baseline of the W-OoD comparison: the stage-0 classifier fine-tuned for the same schedule as
# W-OoD (wood_r18-d8_1xb8-500it_synthetic-112x112.py) but without OoD images, so both differ only by the OoD losses.
_base_ = ['./cam_r18-d8_1xb8-2k_synthetic-112x112.py']
ft_iters = 500
load_from = 'work_dirs/cam_r18-d8_1xb8-2k_synthetic-112x112/iter_2000.pth'
model = dict(
    # W-OoD trains stage 3, 4 and the classifier (W-OoD net/resnet50_cam.py); load_from replaces every weight, nothing
    # to initialise
    backbone=dict(frozen_stages=2, norm_eval=True, init_cfg=None),
    freeze_bn=True)
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=ft_iters, by_epoch=False)]
train_cfg = dict(max_iters=ft_iters, val_interval=ft_iters)
default_hooks = dict(checkpoint=dict(interval=ft_iters))
