# Ablation "+ BLP loss": partial CE replaced by the BLP loss (gamma=2, annotation-probability weights);
# no LAM, no self-training.
_base_ = ['./blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py']
model = dict(lam=None)
custom_hooks = [dict(type='RNGStateHook')]  # the base's list without the pseudo-label switch
