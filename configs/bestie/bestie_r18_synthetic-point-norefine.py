# Ablation: point labels without self-refinement.
_base_ = './bestie_r18_synthetic-point.py'
model = dict(refine=False)
