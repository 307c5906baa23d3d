# The embedded synthetic dataset, fully supervised view (see docs/dataset_layout.md).
# Generated into data_root on first use; any directory in the same layout works as data_root.
dataset_type = 'SyntheticWSSSDataset'
data_root = '{{$MMWSSS_DATA_ROOT:data/synthetic}}'  # one switch: data_root=DIR moves every path
crop_size = (112, 112)
num_classes = 7
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadWSSSAnnotations', cache_mb=64),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='WSSSRandomCrop', crop_size=crop_size, cat_max_ratio=0.9),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSSSAnnotations'),
    dict(type='PackWSSSInputs'),
]
img_ratios = [0.75, 1.0, 1.25]
tta_pipeline = [
    dict(type='LoadWSSSImage'),
    dict(type='TestTimeAug',
         transforms=[[dict(type='Resize', scale_factor=r, keep_ratio=True) for r in img_ratios],
                     [dict(type='RandomFlip', prob=0., direction='horizontal'),
                      dict(type='RandomFlip', prob=1., direction='horizontal')],
                     [dict(type='LoadWSSSAnnotations')],
                     [dict(type='PackWSSSInputs')]])
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt',
                 cls_label_file='ImageSets/Segmentation/train_cls.txt',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/val.txt',
                 cls_label_file='ImageSets/Segmentation/val_cls.txt',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
