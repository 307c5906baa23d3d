# IRN on VOC train_aug IR labels (IRN, as run by W-OoD run_sample_pseudo_gt.py): frozen ResNet-50 (the W-OoD
# classifier's backbone: model.backbone.init_cfg.checkpoint, or tools/wood/train_irn.py --cam-checkpoint), crop 512, batch 32, 3 epochs (990 it),
# rescale U[0.5, 1.5], flip, lr 0.1 (edge) / 1.0 (displacement), wd 1e-4, poly 0.9, radius 10.
_base_ = ['../_base_/datasets/voc12aug.py', '../_base_/default_runtime.py']
crop_size = (512, 512)
max_iters = (10582 // 32) * 3
data_preprocessor = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=crop_size)
model = dict(
    type='IRNet',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1), style='pytorch', norm_cfg=dict(type='BN', requires_grad=False), norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='work_dirs/wood_r50-d16_1xb16-5e_voc12aug-512x512/epoch_5.pth',
                      prefix='backbone.')),
    in_channels=(256, 512, 1024, 2048),
    edge_channels=32,
    dp_channels=(64, 128, 256, 256),
    dp_hidden=256,
    radius=10,
    # W-OoD's EdgeDisplacement pads every test image to the 512 crop (GroupNorm sees the padding as in training)
    test_pad_size=512)
irn_train_pipeline = [
    dict(type='LoadWSSSImage'),
    dict(type='LoadWSSSAnnotations'),
    # IRN voc12/dataloader.py: scale factor U(0.5, 1.5), PIL bicubic image, PIL nearest label (misc/imutils.py)
    dict(type='PILRandomRescale', ratio_range=(0.5, 1.5)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=32,
    dataset=dict(data_prefix=dict(img_path='JPEGImages', seg_map_path='ir_label'), pipeline=irn_train_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=1e-4, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'dp_': dict(lr_mult=10.0)}))
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters),
    visualization=dict(type='SegVisualizationHook', draw=False))
# Random walk of IRN step/make_sem_seg_labels.py (read by tools/wood/make_sem_seg_labels.py; CLI flags override)
random_walk = dict(beta=10.0, exp_times=8, radius=5, np_power=1.5, bg_thr=0.22)
