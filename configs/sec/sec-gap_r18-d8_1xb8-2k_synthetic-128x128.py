# Ablation: global average pooling instead of GWRP in the expansion loss (present classes and background).
_base_ = ['./sec_r18-d8_1xb8-2k_synthetic-128x128.py']
model = dict(decode_head=dict(loss_decode=[
    dict(type='SECSeedLoss', loss_weight=1.0),
    dict(type='SECExpandLoss', pooling='avg', loss_weight=1.0),
    dict(type='SECConstrainLoss', crf_params='sec_train', loss_weight=1.0),
]))
