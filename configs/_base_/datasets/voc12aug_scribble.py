# PASCAL VOC 2012 train_aug (10,582 images) with PASCAL-Scribble scribbles (BLPSeg experiment/blpseg-voc/train.py).
# Scribbles: <data_root>/Scribbles/<id>.png from tools/dataset_converters/scribble_xml2png.py --dataset voc
# (1-px strokes; 0..20 class, 255 not annotated -> remapped to 21 = "not annotated" on loading;
# 255 then only marks crop padding). Image-level labels come from the whole scribble (BLPSeg
# experiment/blpseg-voc/train.py).
dataset_type = 'WSSSVOCDataset'
data_root = '{{$MMWSSS_DATA_ROOT:data/VOCdevkit/VOC2012}}'  # one switch: data_root=DIR moves every path
crop_size = (384, 384)
num_classes = 21
train_pipeline = [
    dict(type='LoadWSSSImage'),
    dict(type='LoadWSSSAnnotations', with_seg=False, extra_maps=('gt_scribble', ),
         scribble_unlabeled_to=num_classes, img_labels_from='scribble'),
    dict(type='RandomFlip', prob=0.5),
    # BLPSeg lib/datasets/transform.py RandomScale(0.75, 1.25) of the image: VOC images have a 500-px long side, so
    # scale=(500, 500) + keep_ratio makes the ratio the scale factor. Image bicubic, maps nearest.
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
# BLPSeg experiment/blpseg-voc/test.py: scales 0.5/0.75/1/1.25 (bicubic) x horizontal flip; BLPSeg configs merge by
# averaging logits.
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
    batch_size=5,
    num_workers=4,
    persistent_workers=True,
    # no shuffling, as the original (BLPSeg experiment/blpseg-voc/config.py TRAIN_SHUFFLE=False): the list order
    sampler=dict(type='InfiniteSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/train_aug.txt',
                 data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
                 extra_maps=dict(gt_scribble='Scribbles'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/val.txt',
                 data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
