# Fully-supervised DeepLabV3 R-101 on VOC12 train_aug (mmseg recipe): the real-data upper bound.
_base_ = [
    '../_base_/models/deeplabv3_r18-d8.py', '../_base_/datasets/voc12aug.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_40k.py'
]
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    # ImageNet weights from the OpenMMLab zoo (mmseg's ResNetV1c-101); offline and not cached -> warning, random init
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101, stem_channels=64, base_channels=64, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=2048, channels=512, dilations=(1, 12, 24, 36), num_classes=21,
                     norm_cfg=norm_cfg),
    data_preprocessor=dict(size=(512, 512), size_divisor=None))
