# Ablation "+ LAM": BLP loss + LAM; no self-training (the full model adds the pseudo-label switch).
_base_ = ['./blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py']
custom_hooks = [dict(type='RNGStateHook')]  # the base's list without the pseudo-label switch
