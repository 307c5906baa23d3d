# BESTIE on PASCAL VOC 2012 with image-level labels (BESTIE scripts/run_image_labels.sh): HRNet-W48 (mmseg, stride-4
# single output), Adam 5e-5, warm-up 2k + poly 0.9 over 50k iterations, 4 GPUs × 4, crop 416.
# Needs WSSS_maps/ and Peak_points/ (PAM, conf > 0.7) under data_root; ImageNet HRNet weights
# (hrnet_w48-8ef0771d.pth remapped to mmseg keys, or open-mmlab://msra/hrnetv2_w48) via `pretrained`.
_base_ = ['./_base_bestie_runtime.py', '../_base_/datasets/voc_instance.py']
num_classes = 20
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='BESTIE',
    num_classes=num_classes,
    sup='cls',
    refine=True,
    refine_iter=0,
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        _scope_='mmseg',
        type='HRNet',
        norm_cfg=norm_cfg,
        norm_eval=False,
        multiscale_output=False,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://msra/hrnetv2_w48'),
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK', num_blocks=(4, ), num_channels=(64, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC', num_blocks=(4, 4), num_channels=(48, 96)),
            stage3=dict(num_modules=4, num_branches=3, block='BASIC', num_blocks=(4, 4, 4),
                        num_channels=(48, 96, 192)),
            stage4=dict(num_modules=3, num_branches=4, block='BASIC', num_blocks=(4, 4, 4, 4),
                        num_channels=(48, 96, 192, 384), multiscale_output=False))),
    head=dict(type='BestieHead', in_channels=[48], in_index=[0], head_channels=256),
    loss_weights=dict(seg=1.0, center=200.0, offset=0.01),
    top_k_percent=0.2,
    # BESTIE's rules: centre clustering also tests OpenCV's component 0, GT points on row/column 0 are dropped as
    # padding (BESTIE utils/utils.py)
    refine_cfg=dict(sigma=6, thr=0.3, nms_kernel=41, beta=3, min_area=50, max_inst=5, cluster_complement=True,
                    drop_points_on_zero_border=True),
    test_cfg=dict(thr=0.1, nms_kernel=41, beta=3, min_area=50, ignore=False, flip=False, clean=False,
                  cluster_complement=True))
max_iters = 50000
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=5e-5, weight_decay=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=2000),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=0, end=max_iters),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10000, max_keep_ckpts=2,
                    save_best='voc_ins/mAP50', rule='greater'))
auto_scale_lr = dict(enable=False, base_batch_size=16)
# the model reads the training iteration (refine_iter) from its train_iter attribute, set by this hook; the list
# replaces the runtime base's, so it repeats RNGStateHook
custom_hooks = [dict(type='SetIterInfoHook'), dict(type='RNGStateHook')]
