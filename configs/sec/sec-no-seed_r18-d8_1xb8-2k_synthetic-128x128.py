# Ablation: SEC without the seeding loss (expand + constrain only).
_base_ = ['./sec_r18-d8_1xb8-2k_synthetic-128x128.py']
model = dict(decode_head=dict(loss_decode=[
    dict(type='SECExpandLoss', d_fg=0.996, d_bg=0.999, pooling='gwrp', loss_weight=1.0),
    dict(type='SECConstrainLoss', crf_params='sec_train', loss_weight=1.0),
]))
