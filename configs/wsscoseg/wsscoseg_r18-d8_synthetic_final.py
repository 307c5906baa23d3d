# wsscoseg final model on the embedded dataset (B3 final model, B4, B5): trained on the train split with the masks
# estimated by the Initial Mask Generator (tools/wsscoseg/estimate_masks.py -> data/synthetic/pseudo_masks/wsscoseg)
# through seg_map_path; segmentation branch + global branch (a non-dilated copy of the small backbone's last two
# stages, GMP, 1x1 128 -> 128 -> C) whose logits are added before the softmax; BCE x 0.25 on the presence vector
# of the whole (un-cropped) estimated mask. Shared small backbone and short schedule; from scratch (the embedded
# stand-in for "from ImageNet, not from the initial model").
_base_ = ['./wsscoseg_r18-d8_synthetic_init.py']
model = dict(
    global_branch=dict(in_index=1, stages=(2, 3), channels=(128, 128), dropout_ratio=0.5, loss_weight=0.25,
                       presence_from='img_labels', copy_backbone_weights=True))
train_pipeline = [
    dict(type='LoadWSSSImage'),
    dict(type='LoadWSSSAnnotations', img_labels_from='seg'),  # presence of the un-cropped estimated mask (B4)
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
