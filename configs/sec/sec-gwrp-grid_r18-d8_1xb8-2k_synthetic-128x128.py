# Variant: GWRP decays scaled to the cue grid. SEC's d (0.996 fg / 0.999 bg) are set for 41x41 = 1681 positions, where the last-ranked weight
# is 0.996^1681 = 0.001 (top-heavy). On the embedded 16x16 = 256 grid the same d leave 0.996^256 = 0.36, so GWRP is
# close to average pooling. Same last-ranked weight on 256 positions: d' = d^(1681 / 256).
_base_ = ['./sec_r18-d8_1xb8-2k_synthetic-128x128.py']
_ratio = (41 * 41) / (16 * 16)
model = dict(decode_head=dict(loss_decode=[
    dict(type='SECSeedLoss', loss_weight=1.0),
    dict(type='SECExpandLoss', d_fg=0.996**_ratio, d_bg=0.999**_ratio, loss_weight=1.0),
    dict(type='SECConstrainLoss', crf_params='sec_train', loss_weight=1.0),
]))
