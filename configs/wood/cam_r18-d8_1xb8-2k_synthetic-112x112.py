# Plain CAM classifier (IRN-style: GAP + bias-free 1x1 classifier, multi-label soft margin) on the
# embedded dataset with the shared small backbone (ResNetV1c-18, 16-channel stem and base) and the shared
# short schedule. Unlike W-OoD's OS-16 VOC classifier it runs at output stride 8 with the segmentation
# model's dilations (1, 1, 2, 4): at OS 16 a 128-px image gives an 8x8 CAM, too coarse for the embedded
# objects, and the OS-8 backbone costs only 0.06 s per batch-8 step on 2 CPU cores.
# Stage 0 of both the "plain" and the W-OoD pipelines (docs/implementation.md).
# Initialisation: the backbone of the ImageNet stand-in
# (configs/pretrain/cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112.py), since W-OoD assumes an ImageNet classifier
# that knows the objects (configs/wood/README.md); with it, the original's recipe: BatchNorm frozen (IRN's
# FixedBatchNorm), stem frozen, lr 0.01 (0.1 for the classifier). Trained from scratch (BN trained, lr 0.05) the
# classifier learns the context as the class (CAM max on the water for 99 % of the boats). Without the stand-in's checkpoint it warns and starts from random weights.
_base_ = [
    '../_base_/models/deeplabv3_r18-d8.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_2k.py', '../_base_/pretrained_synthetic.py'
]
class_names = ('background', 'train', 'boat', 'aeroplane', 'sheep', 'bottle', 'tvmonitor')
metainfo = dict(classes=class_names)  # a dataset config that sets its own metainfo replaces it everywhere
crop_size = (112, 112)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    _delete_=True,
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c', depth=18, stem_channels=16, base_channels=16, num_stages=4, out_indices=(3, ),
        strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True, frozen_stages=1, style='pytorch', contract_dilation=True,
        init_cfg={{_base_.pretrained_backbone}}),
    num_classes=7,
    in_channels=128,
    freeze_bn=True,
    test_cfg=dict(scales=(1.0, ), flip=False, bg_thr=0.15, use_gt_labels=True))
# image-level supervision only: no GT mask is read for training (crop without cat_max_ratio)
weak_train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadWSSSAnnotations', with_seg=False, cache_mb=64),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=8,
    dataset=dict(data_prefix=dict(img_path='JPEGImages'), pipeline=weak_train_pipeline))
# CAM quality on val (GT used only for evaluation): mIoU over a sweep of background thresholds
val_evaluator = dict(_delete_=True, type='CAMMetric')
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.01), paramwise_cfg=dict(custom_keys=dict(classifier=dict(lr_mult=10.0))))
default_hooks = dict(visualization=dict(type='SegVisualizationHook', draw=False))
