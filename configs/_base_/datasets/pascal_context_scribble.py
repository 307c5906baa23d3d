# PASCAL-Context with PASCAL-Scribble scribbles (BLPSeg lib/datasets/ContextDataset.py): 60 classes = background + 59,
# mIoU over all 60 (background included), unlike mmseg's PascalContextDataset59.
# Layout (docs/dataset_layout.md): <data_root>/JPEGImages, SegmentationClass/<id>.png (the 459-id
# LabelMap mapped to 0..59 with a lookup table), Scribbles/<id>.png from
# tools/dataset_converters/scribble_xml2png.py --dataset context, ImageSets/Segmentation/{train,val}.txt.
# SegmentationClass from tools/dataset_converters/pascal_context60.py (459 -> 60 lookup table).
dataset_type = 'WSSSContext60Dataset'
data_root = '{{$MMWSSS_DATA_ROOT:data/VOCdevkit/VOC2010/Context}}'  # one switch: data_root=DIR moves every path
crop_size = (384, 384)
num_classes = 60
train_pipeline = [
    dict(type='LoadWSSSImage'),
    dict(type='LoadWSSSAnnotations', with_seg=False, extra_maps=('gt_scribble', ),
         scribble_unlabeled_to=num_classes, img_labels_from='scribble'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=(500, 500), ratio_range=(0.75, 1.25), keep_ratio=True,
         interpolation='bicubic'),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='PackWSSSInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSSSAnnotations'),
    dict(type='PackWSSSInputs'),
]
img_ratios = [0.5, 0.75, 1.0, 1.25]
tta_pipeline = [
    dict(type='LoadWSSSImage'),
    dict(type='TestTimeAug',
         transforms=[[dict(type='Resize', scale_factor=r, keep_ratio=True, interpolation='bicubic')
                      for r in img_ratios],
                     [dict(type='RandomFlip', prob=0., direction='horizontal'),
                      dict(type='RandomFlip', prob=1., direction='horizontal')],
                     [dict(type='LoadWSSSAnnotations')],
                     [dict(type='PackWSSSInputs')]])
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    # no shuffling, as the original (BLPSeg experiment/blpseg-context/config.py TRAIN_SHUFFLE=False)
    sampler=dict(type='InfiniteSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt',
                 extra_maps=dict(gt_scribble='Scribbles'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/val.txt',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
