# BLPSeg network (BLPSeg lib/net/blpseg.py): ResNet-101 with the deep stem 64-64-128 (mmseg ResNetV1c with
# stem_channels=128: conv 3->64 s2, conv 64->64, conv 64->128), output stride 32 (no dilation),
# UPerNet-style PPM (1/2/3/6) + FPN decoder (256 ch, stride 4), 3-layer MLP heads, LAM on the
# stride-4 logits, BLP loss + annotation-probability CE, self-training switch (set per dataset).
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # ImageNet mean/std on RGB (BLPSeg lib/datasets/transform.py ImageNorm)
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,  # padding after normalisation = the mean colour, as the original RandomCrop
    seg_pad_val=255,
    size=(384, 384))
model = dict(
    type='BLPSeg',
    data_preprocessor=data_preprocessor,
    # ImageNet weights of the deep-stem ResNet-101 ("resnet101s" of PyTorch-Encoding) converted to
    # mmseg keys (see docs/implementation.md). open-mmlab://resnet101_v1c has a 32-32-64 stem and
    # does not fit stem_channels=128. A missing file is a warning (random init), not a crash.
    pretrained='checkpoints/resnet101s_encoding_mmseg.pth',
    backbone=dict(
        type='ResNetV1c',
        depth=101,
        stem_channels=128,
        base_channels=64,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 2),
        dilations=(1, 1, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=False),
    decode_head=dict(
        type='BLPHead',
        in_channels=[256, 512, 1024, 2048],
        in_index=(0, 1, 2, 3),
        channels=256,
        pool_scales=(1, 2, 3, 6),
        ppm_dropout=0.1,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='BLPLoss', gamma=2.0, loss_name='loss_blp'),
        loss_scribble=dict(type='AnnotationProbabilityLoss', unlabeled_weight=0.02, loss_name='loss_scrib')),
    lam=dict(type='LocalAggregationModule', in_channels=3, embed_dims=256, patch_size=4, sigma=6.0,
             impl='attention'),
    pseudo_threshold=0.9,
    train_cfg=dict(),
    # BLPSeg test.py resizes each (TTA) output to the original size with align_corners=True
    test_cfg=dict(mode='whole', resize_align_corners=True))
