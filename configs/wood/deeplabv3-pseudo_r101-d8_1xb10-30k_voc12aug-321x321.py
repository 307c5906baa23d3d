# Final segmentation model trained on W-OoD/IRN pseudo masks of VOC train_aug (W-OoD README.md):
# ImageNet ResNet-101 at output stride 8 (the project's fully-supervised R-101 model), with the
# recipe the W-OoD/AdvCAM author gave: batch 10, 30k iterations, lr 2.5e-4 (10x on the head),
# random scales 0.5-2.0, crop 321. This variant uses mmseg's DeepLabV3 ASPPHead with dilations (6, 12, 18, 24)
# and plain CE; the original's DeepLab-v2 head and balanced CE: deeplabv2-pseudo_r101-d8_1xb10-30k_voc12aug-321x321.py.
_base_ = ['../fully_supervised/deeplabv3_r101-d8_4xb4-40k_voc12aug-512x512.py']
crop_size = (321, 321)
pseudo_dir = 'pseudo_masks/wood'  # relative to data_root: written by tools/wood/make_sem_seg_labels.py
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(dilations=(6, 12, 18, 24)))
train_pipeline = [
    dict(type='LoadWSSSImage'),
    dict(type='LoadWSSSAnnotations'),
    dict(type='RandomResize', scale=(500, 500), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=10,
    dataset=dict(data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_dir), pipeline=train_pipeline))
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys=dict(decode_head=dict(lr_mult=10.0))))
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=30000, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=30000, val_interval=5000)
