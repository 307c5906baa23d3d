# wsscoseg final model on the embedded dataset (wsscoseg
# cores/symbols/final_fcn_resnet50.py and cores/config.py): trained on the train split with the masks estimated by the
# Initial Mask Generator (tools/wsscoseg/estimate_masks.py -> data/synthetic/pseudo_masks/wsscoseg) through
# seg_map_path; segmentation branch + global branch (a non-dilated copy of the small backbone's last two stages, GMP,
# 1x1 128 -> 128 -> C) whose logits are added before the softmax; BCE x 0.25 on the presence vector of the whole
# (un-cropped) estimated mask. Shared small backbone; from scratch (the embedded stand-in for "from ImageNet, not from
# the initial model").
_base_ = ['./wsscoseg-init_r18-d8_1xb8-4k_synthetic-web-112x112.py']
model = dict(
    global_branch=dict(in_index=1, stages=(2, 3), channels=(128, 128), dropout_ratio=0.5, loss_weight=0.25,
                       presence_from='img_labels', copy_backbone_weights=True))
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    # global-branch target: the classes of the un-cropped estimated mask (wsscoseg final_fcn_resnet50.py) with
    # background always 1 ('always'; the original's 'present' sets it only when it appears): the embedded results
    # in configs/wsscoseg/README.md were measured this way
    dict(type='LoadWSSSAnnotations', img_labels_from='seg', img_labels_background='always', cache_mb=64),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.7, 1.3), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True, type='SyntheticWSSSDataset', data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train.txt', cls_label_file='ImageSets/Segmentation/train_cls.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='pseudo_masks/wsscoseg'), pipeline=train_pipeline))
# wsscoseg cores/config.py: the final model trains longer than the Initial Mask Generator, 28k against 8k iterations on
# VOC; the released final model is epoch 23 (~16.1k, 2x the initial model's). The embedded chain keeps that 2x: 4k
# initial, 8k final. Its bound trains 8k too (configs/fully_supervised/deeplabv3_r18-d8_1xb8-8k_synthetic-112x112.py).
max_iters = 8000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=100, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
