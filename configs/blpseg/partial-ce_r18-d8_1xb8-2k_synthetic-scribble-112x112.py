# Ablation baseline: partial cross-entropy on the scribbles (BLPLoss with gamma=0 = per-image mean CE
# over scribbled pixels), no LAM, no self-training. Same backbone/schedule/data as the full model.
_base_ = ['./blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py']
custom_hooks = [dict(type='RNGStateHook')]  # the base's list without the pseudo-label switch
model = dict(lam=None,
             decode_head=dict(loss_decode=dict(type='BLPLoss', gamma=0.0, loss_name='loss_pce')))
