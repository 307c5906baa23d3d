# SEC's foreground-cue classifier (a CAM classifier, SEC weak-localization/foreground) on the embedded dataset,
# trained on mmengine's Runner: python tools/train.py THIS, then
# python tools/sec/make_cues.py data/synthetic --preset synthetic --fg-checkpoint <work dir>/iter_600.pth ...
# (configs/sec/README.md). Everything comes from the SEC config's cue_cfg (model, image size and normalisation,
# iterations, lr step, lr, batch): images warped to 128x128 (aspect ratio not kept), random flip, image-level
# labels only, multi-label soft-margin loss, SGD (momentum 0.9, weight decay 5e-4), lr x0.1 every `step`
# iterations. From scratch, as make_cues.py without --pretrained. No validation: the cues are the output.
_base_ = ['./sec_r18-d8_1xb8-2k_synthetic-128x128.py']
img_size = ({{_base_.cue_cfg.data.size}}, {{_base_.cue_cfg.data.size}})
cue_data_preprocessor = dict(
    type='SegDataPreProcessor', mean={{_base_.cue_cfg.data.mean}}, std={{_base_.cue_cfg.data.std}},
    bgr_to_rgb={{_base_.cue_cfg.data.to_rgb}}, pad_val=0, seg_pad_val=255, size=img_size)
model = dict(
    _delete_=True,
    type={{_base_.cue_cfg.fg_model.type}},
    data_preprocessor=cue_data_preprocessor,
    backbone={{_base_.cue_cfg.fg_model.backbone}},
    in_channels={{_base_.cue_cfg.fg_model.in_channels}},
    freeze_bn={{_base_.cue_cfg.fg_model.freeze_bn}},
    num_classes={{_base_.num_classes}})
# make_cues.py's classifier input: warp, flip; image-level labels from the cls label file, no mask read
cue_train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadWSSSAnnotations', with_seg=False, cache_mb=64),
    dict(type='Resize', scale=img_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size={{_base_.cue_cfg.train.batch_size}},
    dataset=dict(
        _delete_=True, type='SyntheticWSSSDataset', data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train.txt', cls_label_file='ImageSets/Segmentation/train_cls.txt',
        data_prefix=dict(img_path='JPEGImages'), metainfo={{_base_.metainfo}}, pipeline=cue_train_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', clip_grad=None,
    optimizer=dict(type='SGD', lr={{_base_.cue_cfg.train.lr}}, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='StepLR', step_size={{_base_.cue_cfg.train.step}}, gamma=0.1, by_epoch=False)]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters={{_base_.cue_cfg.train.iters}})
default_hooks = dict(checkpoint=dict(interval={{_base_.cue_cfg.train.iters}}),
                     visualization=dict(type='SegVisualizationHook', draw=False))
