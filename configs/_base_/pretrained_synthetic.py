# Backbone initialisation from the embedded dataset's ImageNet stand-in
# (configs/pretrain/cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112.py).
# Absent file: a warning, and the model starts from random weights (mmwsss.utils.compat).
pretrained_backbone = dict(
    type='Pretrained', checkpoint='work_dirs/cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112/iter_4000.pth',
    prefix='backbone.')
