# Ablation: SEC without the constrain-to-boundary loss (seed + expand only).
_base_ = ['./sec_r18-d8_1xb8-2k_synthetic-128x128.py']
model = dict(decode_head=dict(loss_decode=[
    dict(type='SECSeedLoss', loss_weight=1.0),
    dict(type='SECExpandLoss', d_fg=0.996, d_bg=0.999, pooling='gwrp', loss_weight=1.0),
]))
