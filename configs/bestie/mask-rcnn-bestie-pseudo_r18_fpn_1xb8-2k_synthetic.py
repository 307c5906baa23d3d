# Mask R-CNN trained on BESTIE pseudo instance labels ("MRCNN refinement", BESTIE README.md, Mask R-CNN refinement).
# 1) export: python tools/bestie/export_pseudo_coco.py configs/bestie/bestie-cls_r18-d8_1xb8-4k_synthetic-112x112.py \
#        work_dirs/bestie-cls_r18-d8_1xb8-4k_synthetic-112x112/iter_4000.pth --out work_dirs/bestie-cls_r18-d8_1xb8-4k_synthetic-112x112/pseudo_train.json
# 2) train:  python tools/train.py configs/bestie/mask-rcnn-bestie-pseudo_r18_fpn_1xb8-2k_synthetic.py \
#        --cfg-options train_dataloader.dataset.ann_file=$PWD/work_dirs/bestie-cls_r18-d8_1xb8-4k_synthetic-112x112/pseudo_train.json
# Stock mmdet Mask R-CNN (VOC: use mask-rcnn_r50_fpn with the VOC json); ResNet-18 here for CPU.
_base_ = ['mmdet::_base_/models/mask-rcnn_r50_fpn.py', './_base_bestie_runtime.py',
          '../_base_/schedules/schedule_2k.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/synthetic}}'  # one switch: data_root=DIR moves every path
# classes of the dataset (a dataset config's own metainfo replaces them; the heads follow num_classes)
classes = ('train', 'boat', 'aeroplane', 'sheep', 'bottle', 'tvmonitor')
metainfo = dict(classes=classes)
num_classes = len(classes)  # foreground classes (mmdet scope)
pseudo_ann_file = 'work_dirs/bestie-cls_r18-d8_1xb8-4k_synthetic-112x112/pseudo_train.json'
model = dict(
    backbone=dict(depth=18, init_cfg=None, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False),
    neck=dict(in_channels=[64, 128, 256, 512]),
    roi_head=dict(bbox_head=dict(num_classes=num_classes), mask_head=dict(num_classes=num_classes)))
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomResize', scale=(256, 256), ratio_range=(0.8, 1.25), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(
        type='CheckedCocoDataset',  # mmdet's CocoDataset + a clear error for a json without masks
        data_root=data_root,
        metainfo=metainfo,
        ann_file=pseudo_ann_file,
        data_prefix=dict(img='JPEGImages/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=2),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SplitCocoDataset',  # mmdet's CocoDataset, checked json, only the images of split_file
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val.json',
        split_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(img='JPEGImages/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='VOCInstanceMetric', data_root=data_root, iou_thrs=(0.25, 0.5, 0.7, 0.75)),
    dict(type='CocoMetric', ann_file=data_root + '/annotations/instances_val.json', metric=['bbox', 'segm']),
]
test_evaluator = val_evaluator
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(_delete_=True, max_norm=35, norm_type=2))
# the shared schedule names mmseg's visualisation hook; this is an mmdet-scope model
default_hooks = dict(visualization=dict(type='DetVisualizationHook'))
