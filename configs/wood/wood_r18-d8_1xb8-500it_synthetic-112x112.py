# W-OoD fine-tuning on the embedded dataset: ID + hard OoD images (rails/water/sky without objects) in
# every batch; L = L_cls + 0.007 L_M + 0.25 L_ood (W-OoD step/train_cam_clustering.py). Same schedule as
# cam-ft_r18-d8_1xb8-500it_synthetic-112x112.py. K = 15 OoD prototypes for the 150 embedded OoD images keeps the pull weight
# C / K = 6 / 15 = 0.4 of VOC (20 / 50).
_base_ = ['./cam-ft_r18-d8_1xb8-500it_synthetic-112x112.py']
num_ood_prototypes = 15
model = dict(
    type='WOoDClassifier',
    metric_loss=dict(type='WOoDMetricLoss', loss_weight=0.007, topk_ratio=0.2),
    ood_loss=dict(type='WOoDOoDLoss', loss_weight=0.25, exclude_classes=()),
    num_ood_prototypes=num_ood_prototypes,
    adv_step=0.07)
ood_train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),  # color decoding: grayscale files become 3-channel
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(112, 112)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
ood_dataset = dict(
    type='OoDImageDataset', data_root={{_base_.data_root}}, ood_list='ood_list.txt', ood_root='ood_images',
    num_classes=7, pipeline=ood_train_pipeline)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='WOoDMixDataset',
        dataset=dict(
            type='SyntheticWSSSDataset', data_root={{_base_.data_root}},
            ann_file='ImageSets/Segmentation/train.txt',
            cls_label_file='ImageSets/Segmentation/train_cls.txt',
            data_prefix=dict(img_path='JPEGImages'),
            pipeline={{_base_.weak_train_pipeline}}),
        ood_dataset=ood_dataset))
# prototypes from the stage-0 weights: ID at full resolution without augmentation, OoD likewise
proto_id_pipeline = [
    dict(type='LoadWSSSImage'), dict(type='LoadWSSSAnnotations', with_seg=False), dict(type='PackWSSSInputs')
]
proto_ood_pipeline = [dict(type='LoadWSSSImage'), dict(type='PackWSSSInputs')]
proto_id_dataloader = dict(
    batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SyntheticWSSSDataset', data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train.txt',
        cls_label_file='ImageSets/Segmentation/train_cls.txt',
        data_prefix=dict(img_path='JPEGImages'), pipeline=proto_id_pipeline))
custom_hooks = [
    dict(type='RNGStateHook'),  # the runtime's: random-generator states in checkpoints (exact --resume)
    dict(
        type='WOoDPrototypeHook',
        id_dataloader=proto_id_dataloader,
        ood_dataloader=dict(
            batch_size=1, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(ood_dataset, pipeline=proto_ood_pipeline)))
]
