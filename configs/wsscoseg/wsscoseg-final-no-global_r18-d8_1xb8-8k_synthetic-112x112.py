# Ablation: the final model without the global branch (segmentation branch only, same estimated masks).
_base_ = ['./wsscoseg-final_r18-d8_1xb8-8k_synthetic-112x112.py']
model = dict(global_branch=None)
