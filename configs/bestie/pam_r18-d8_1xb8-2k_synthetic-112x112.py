# PAM classifier (peak attention, α 0.7) on the embedded set, small shared backbone instead of VGG-16
# (no ImageNet weights offline; VGG16-D1 is in pam_vgg16-d8_2xb5-15e_voc12aug-321x321.py). Used only to extract peaks:
#   python tools/train.py configs/bestie/pam_r18-d8_1xb8-2k_synthetic-112x112.py
#   python tools/bestie/extract_peaks.py configs/bestie/pam_r18-d8_1xb8-2k_synthetic-112x112.py work_dirs/pam_r18-d8_1xb8-2k_synthetic-112x112/iter_2000.pth
_base_ = [
    './_base_bestie_runtime.py', '../_base_/datasets/synthetic_instance.py',
    '../_base_/schedules/schedule_2k.py'
]
num_classes = 6
model = dict(
    type='BestiePAMClassifier',
    num_classes=num_classes,
    alpha=0.7,
    in_channels=128,
    extra_channels=128,  # 512 in the original; narrower for the small CPU setting
    in_index=-1,
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=8),
    backbone=dict(
        _scope_='mmseg',
        type='ResNetV1c',
        depth=18,
        stem_channels=16,
        base_channels=16,
        num_stages=4,
        out_indices=(3, ),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        contract_dilation=True))
pam_train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadBestieAnnotations', with_seg=False, with_points=False, cache_mb=64),
    dict(type='BestiePhotoMetricDistortion'),
    dict(type='BestieRandomScale', scales=(0.9, 1.0, 1.1, 1.2)),
    dict(type='BestieRandomCrop', crop_size=(112, 112)),
    dict(type='BestieRandomFlip', prob=0.5),
    dict(type='PackBestieInputs'),
]
train_dataloader = dict(
    dataset=dict(data_prefix=dict(_delete_=True, img_path='JPEGImages'), pipeline=pam_train_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None
train_cfg = dict(val_interval=100000)
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.01, momentum=0.9, nesterov=True,
                                    weight_decay=5e-4),
                     # lr multipliers of BESTIE PAM/models/classifier.py: backbone w ×1 / b ×2, extra convs w ×10 / b
                     # ×20
                     paramwise_cfg=dict(
                         bias_lr_mult=2.0,
                         custom_keys={
                             'extra_conv': dict(lr_mult=10.0),
                             **{f'extra_conv{i}.bias': dict(lr_mult=20.0) for i in range(1, 5)}
                         }))
# tools/bestie/extract_peaks.py settings (BESTIE PAM/models/classifier.py; input size = the 128-px images)
peak_cfg = dict(split='ImageSets/Segmentation/train.txt', cls_label_file='ImageSets/Segmentation/train_cls.txt',
                input_size=(128, 128), kernel=15, topk=25, conf_thresh=0.1, out_dir='Peak_points')
# the shared schedule names mmseg's visualisation hook; this is an mmdet-scope model
default_hooks = dict(visualization=dict(type='DetVisualizationHook'))
