# Fully-supervised bound for the pipelines that start from the ImageNet stand-in (W-OoD, configs/wood/):
# deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py (same model, data and 2k schedule) with its backbone initialised from
# configs/pretrain/cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112.py.
_base_ = ['./deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py', '../_base_/pretrained_synthetic.py']
model = dict(backbone=dict(init_cfg={{_base_.pretrained_backbone}}))
