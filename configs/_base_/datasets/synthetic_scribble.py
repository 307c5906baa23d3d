# The embedded synthetic dataset, scribble-supervised view (BLPSeg): same images, split, crop and
# geometric augmentation as the fully supervised base (synthetic.py); training reads only the
# scribbles (<data_root>/Scribbles, 255 -> 7 = "not annotated"), image labels from the scribbles.
_base_ = ['./synthetic.py']
num_classes = 7
crop_size = (112, 112)
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadWSSSAnnotations', with_seg=False, extra_maps=('gt_scribble', ),
         scribble_unlabeled_to=num_classes, img_labels_from='scribble', cache_mb=64),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),  # no GT mask -> no category check
    dict(type='RandomFlip', prob=0.5),
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
    dataset=dict(cls_label_file=None, extra_maps=dict(gt_scribble='Scribbles'), pipeline=train_pipeline))
