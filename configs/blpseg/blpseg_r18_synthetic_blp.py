# Ablation "+ BLP loss": partial CE replaced by the BLP loss (gamma=2, annotation-probability weights);
# no LAM, no self-training.
_base_ = ['./blpseg_r18_synthetic.py']
model = dict(lam=None, self_training_iter=None)
