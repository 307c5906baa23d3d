# PASCAL VOC 2012 for BESTIE (BESTIE README.md; scripts/run_image_labels.sh): train_aug ids with WSSS_maps + Peak_points
# / Center_points; val = the 1,449 official val ids with SegmentationObject/SegmentationClass GT.
dataset_type = 'BestieVOCDataset'
data_root = '{{$MMWSSS_DATA_ROOT:data/VOCdevkit/VOC2012}}'  # one switch: data_root=DIR moves every path
num_classes = 20
crop_size = (416, 416)
wsss_dir = 'WSSS_maps'
points_dir = 'Peak_points'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBestieAnnotations', with_seg=True, with_points=True, point_conf_thr=0.7),
    dict(type='BestiePhotoMetricDistortion', brightness_delta=16, contrast_range=(0.5, 1.5), hue_delta=36),
    dict(type='BestieResize', long_side=449, size_divisor=32, plus_one=True),
    dict(type='BestieRandomScale', scales=(0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)),
    dict(type='BestieRandomCrop', crop_size=crop_size, img_pad_val=(103, 116, 123), seg_pad_val=0),
    dict(type='BestieRandomFlip', prob=0.5),
    dict(type='GenerateBestieTargets', sup='cls', sigma=6, min_area=50),
    dict(type='PackBestieInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='BestieResize', long_side=None, size_divisor=32),
    dict(type='LoadBestieAnnotations', with_seg=False, with_points=False),
    dict(type='PackBestieInputs'),
]
train_dataloader = dict(
    batch_size=4,  # × 4 GPUs = 16 (BESTIE scripts/run_image_labels.sh)
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        cls_label_file='ImageSets/Segmentation/train_aug_cls.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=wsss_dir, points_path=points_dir),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        cls_label_file='ImageSets/Segmentation/val_cls.txt',
        data_prefix=dict(img_path='JPEGImages'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='VOCInstanceMetric', data_root=data_root, iou_thrs=(0.25, 0.5, 0.7, 0.75))
test_evaluator = val_evaluator
