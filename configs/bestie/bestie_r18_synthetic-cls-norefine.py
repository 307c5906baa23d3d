# Ablation: image labels without self-refinement (L = L_seg + w_c L_c + 0.01 L_o on pseudo labels only).
_base_ = './bestie_r18_synthetic-cls.py'
model = dict(refine=False)
