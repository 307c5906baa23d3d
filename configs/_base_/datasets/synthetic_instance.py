# The embedded synthetic dataset, instance view for BESTIE (mmdet scope; docs/dataset_layout.md).
# WSSS maps = `wsss_dir` (GT SegmentationClass by default, or another method's pseudo masks, e.g.
# 'pseudo_masks/sec'); point cues = `points_dir` (Peak_points from tools/bestie/extract_peaks.py for
# image labels, Center_points for point labels). Image size 128: BESTIE's VOC sizes (σ 6, NMS 41,
# min area 50 at 416 crops) are scaled down (docs/implementation.md, BESTIE).
dataset_type = 'BestieSyntheticDataset'
data_root = '{{$MMWSSS_DATA_ROOT:data/synthetic}}'  # one switch: data_root=DIR moves every path
num_classes = 6
crop_size = (112, 112)
wsss_dir = 'SegmentationClass'
points_dir = 'Peak_points'
sigma = 3
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadBestieAnnotations', with_seg=True, with_points=True, point_conf_thr=0.7, cache_mb=64),
    dict(type='BestiePhotoMetricDistortion'),
    dict(type='BestieRandomScale', scales=(0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)),
    dict(type='BestieRandomCrop', crop_size=crop_size),
    dict(type='BestieRandomFlip', prob=0.5),
    dict(type='GenerateBestieTargets', sup='cls', sigma=sigma, min_area=20),
    dict(type='PackBestieInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='BestieResize', long_side=None, size_divisor=32),
    dict(type='LoadBestieAnnotations', with_seg=False, with_points=False),
    dict(type='PackBestieInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        cls_label_file='ImageSets/Segmentation/train_cls.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=wsss_dir, points_path=points_dir),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        cls_label_file='ImageSets/Segmentation/val_cls.txt',
        coco_ann_file='annotations/instances_val.json',
        data_prefix=dict(img_path='JPEGImages'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='VOCInstanceMetric', data_root=data_root, iou_thrs=(0.25, 0.5, 0.7, 0.75)),
    dict(type='CocoMetric', ann_file=data_root + '/annotations/instances_val.json', metric='segm'),
]
test_evaluator = val_evaluator
