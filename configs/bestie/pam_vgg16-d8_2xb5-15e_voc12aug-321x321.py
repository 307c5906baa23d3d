# PAM classifier on VOC train_aug (BESTIE PAM/models/classifier.py): VGG16-D1 (stride 8) + 3×[conv3×3 → PAM] + 1×1 +
# GAP, multilabel soft margin; SGD nesterov lr 1e-3, momentum 0.9, wd 5e-4, lr ×(1, 2, 10, 20) for
# backbone w/b and extra w/b; 15 epochs (batch 10), lr ×0.1 at epochs 5 and 10; aug: resize 384²,
# flip, colour jitter, crop 321. ImageNet VGG-16: torchvision's vgg16 (vgg16-397923af.pth), whose
# features.<i> keys are the backbone's; offline without a cached copy -> a warning and random weights.
_base_ = ['./_base_bestie_runtime.py', '../_base_/datasets/voc_instance.py']
num_classes = 20
model = dict(
    type='BestiePAMClassifier',
    num_classes=num_classes,
    alpha=0.7,
    in_channels=512,
    backbone=dict(type='BestieVGG16D1', init_cfg=dict(type='Pretrained', checkpoint='torchvision://vgg16')),
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=8))
pam_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBestieAnnotations', with_seg=False, with_points=False),
    dict(type='Resize', scale=(384, 384), keep_ratio=False),
    dict(type='BestiePhotoMetricDistortion', brightness_delta=26, contrast_range=(0.7, 1.3), hue_delta=36),
    dict(type='BestieRandomCrop', crop_size=(321, 321)),
    dict(type='BestieRandomFlip', prob=0.5),
    dict(type='PackBestieInputs'),
]
train_dataloader = dict(
    batch_size=5,  # × 2 GPUs
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(data_prefix=dict(_delete_=True, img_path='JPEGImages'), pipeline=pam_train_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=15, val_interval=100)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, nesterov=True, weight_decay=5e-4),
    paramwise_cfg=dict(
        bias_lr_mult=2.0,
        custom_keys={
            'extra_conv': dict(lr_mult=10.0),
            **{f'extra_conv{i}.bias': dict(lr_mult=20.0) for i in range(1, 5)}
        }))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[5, 10], gamma=0.1)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=5))
log_processor = dict(by_epoch=True)
peak_cfg = dict(split='ImageSets/Segmentation/train_aug.txt', cls_label_file='ImageSets/Segmentation/train_aug_cls.txt',
                input_size=(321, 321), kernel=15, topk=25, conf_thresh=0.1, out_dir='Peak_points')
