# The project's shared small model for the embedded dataset: ResNetV1c-18 at quarter width (stem and
# base 16 channels, 128 output channels), output stride 8, a light ASPP head: about 8.6 GFLOP per
# training iteration (batch 8, 112x112), so a run takes minutes on 2 CPU cores. Every method's embedded config uses this
# backbone so methods are compared on equal terms.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    size_divisor=8,  # training batches are stacked; crops are multiples of 8 already
    pad_val=0,
    seg_pad_val=255)
small_backbone = dict(
    type='ResNetV1c',
    depth=18,
    stem_channels=16,
    base_channels=16,
    num_stages=4,
    out_indices=(0, 1, 2, 3),
    dilations=(1, 1, 2, 4),
    strides=(1, 2, 1, 1),
    norm_cfg=norm_cfg,
    norm_eval=False,
    style='pytorch',
    contract_dilation=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=small_backbone,
    decode_head=dict(
        type='ASPPHead',
        in_channels=128,
        in_index=3,
        channels=32,
        dilations=(1, 2, 4, 6),
        dropout_ratio=0.1,
        num_classes=7,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
