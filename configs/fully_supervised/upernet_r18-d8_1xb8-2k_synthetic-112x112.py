# Fully-supervised bound with a UPerNet-style decoder (PPM + FPN, stride 4) on the shared small
# backbone and schedule: the like-for-like bound of BLPSeg, whose decoder is UPerNet-style.
_base_ = ['./deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py']
model = dict(
    decode_head=dict(
        _delete_=True,
        type='UPerHead',
        in_channels=[16, 32, 64, 128],
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=32,
        dropout_ratio=0.1,
        num_classes=7,
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
