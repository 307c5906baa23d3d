# Ablation: point labels without self-refinement.
_base_ = './bestie-point_r18-d8_1xb8-4k_synthetic-112x112.py'
model = dict(refine=False)
