# Ablation "+ LAM": BLP loss + LAM; no self-training (the full model adds the pseudo-label switch).
_base_ = ['./blpseg_r18_synthetic.py']
model = dict(self_training_iter=None)
