# IRN-style CAM classifier on PASCAL VOC 2012 train_aug (W-OoD net/resnet50_cam.py; run_sample.py): the "pre-trained
# in-distribution classifier" W-OoD starts from (sess/res50_cam_orig.pth in the original).
# ResNet-50 (torchvision layout = mmseg ResNet v1b) with strides (1, 2, 2, 1): output stride 16, no
# dilation; stem + stages 1-2 frozen (IRN detaches stage 2), BN frozen (FixedBatchNorm).
_base_ = ['../_base_/datasets/voc12aug.py', '../_base_/default_runtime.py']
class_names = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair',
               'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa',
               'train', 'tvmonitor')
crop_size = (512, 512)
batch_size = 16
num_epochs = 5
max_iters = (10582 // batch_size) * num_epochs  # 3305, as IRN's max_step
data_preprocessor = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=crop_size)  # pad 0 after normalisation, as IRN
resnet50_os16 = dict(
    type='ResNet',
    depth=50,
    num_stages=4,
    out_indices=(3, ),
    strides=(1, 2, 2, 1),
    dilations=(1, 1, 1, 1),
    style='pytorch',
    frozen_stages=2,
    norm_cfg=dict(type='BN', requires_grad=True),
    norm_eval=True,
    # ImageNet torchvision ResNet-50 (the V1 weights, resnet50-19c8e357 / -0676ba61; mmseg's ResNet has the same keys)
    init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'))
model = dict(
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    backbone=resnet50_os16,
    num_classes=21,
    in_channels=2048,
    freeze_bn=True,
    test_cfg=dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True, bg_thr=0.15, use_gt_labels=True))
# long side resized to U{320..640} (discretised in steps of 32), h-flip, random crop 512 (padded by the
# data preprocessor); labels from the VOC XML-derived cls file, GT masks are not read.
weak_train_pipeline = [
    dict(type='LoadWSSSImage'),
    dict(type='LoadWSSSAnnotations', with_seg=False),
    dict(type='RandomChoiceResize', scales=[(s, s) for s in range(320, 641, 32)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=batch_size,
    dataset=dict(data_prefix=dict(_delete_=True, img_path='JPEGImages'), pipeline=weak_train_pipeline))
# seed evaluation on VOC train (1,464) with GT, sweeping the background threshold
val_dataloader = dict(
    dataset=dict(ann_file='ImageSets/Segmentation/train.txt',
                 pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadWSSSAnnotations'),
                           dict(type='PackWSSSInputs')]))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='CAMMetric', thresholds=(0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.2))
test_evaluator = val_evaluator
# IRN PolyOptimizer quirk (W-OoD step/train_cam_clustering.py): SGD's positional momentum receives weight_decay ->
# momentum 1e-4.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=1e-4, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys=dict(classifier=dict(lr_mult=10.0))))
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters // num_epochs, max_keep_ckpts=2),
    visualization=dict(type='SegVisualizationHook', draw=False))
