# Ablation: the final model without the global branch (segmentation branch only, same estimated masks).
_base_ = ['./wsscoseg_r18-d8_synthetic_final.py']
model = dict(global_branch=None)
