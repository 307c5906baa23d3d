# Ablation: image labels without self-refinement (L = L_seg + w_c L_c + 0.01 L_o on pseudo labels only).
_base_ = './bestie-cls_r18-d8_1xb8-4k_synthetic-112x112.py'
model = dict(refine=False)
