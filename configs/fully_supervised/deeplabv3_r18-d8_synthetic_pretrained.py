# Fully-supervised bound for the pipelines that start from the ImageNet stand-in (W-OoD, configs/wood/):
# deeplabv3_r18-d8_synthetic.py (same model, data and 2k schedule) with its backbone initialised from
# configs/pretrain/cam_r18_synthetic-pretrain.py.
_base_ = ['./deeplabv3_r18-d8_synthetic.py', '../_base_/pretrained_synthetic.py']
model = dict(backbone=dict(init_cfg={{_base_.pretrained_backbone}}))
