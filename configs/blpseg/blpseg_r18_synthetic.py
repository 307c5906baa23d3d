# Full BLPSeg on the embedded dataset: the project's shared small backbone (ResNetV1c-18, stem/base
# 32 ch, output stride 8) and shared short schedule, so it compares with
# configs/fully_supervised/deeplabv3_r18-d8_synthetic.py. BLP loss + annotation head + LAM +
# self-training from iteration 360 (~24% of the schedule, like 10k of 42,320 on VOC).
#   python tools/train.py configs/blpseg/blpseg_r18_synthetic.py
#   tools/dist_train.sh configs/blpseg/blpseg_r18_synthetic.py 2
_base_ = [
    '../_base_/models/blpseg_r101.py', '../_base_/datasets/synthetic_scribble.py',
    '../_base_/default_runtime.py', '../_base_/schedules/synthetic_short.py'
]
norm_cfg = dict(type='BN', requires_grad=True)
crop_size = (112, 112)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    # same settings as small_backbone in configs/_base_/models/deeplabv3_r18-d8_small.py
    backbone=dict(
        _delete_=True,
        type='ResNetV1c',
        depth=18,
        stem_channels=32,
        base_channels=32,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    decode_head=dict(in_channels=[32, 64, 128, 256], channels=64, num_classes=7, norm_cfg=norm_cfg),
    lam=dict(embed_dims=64),
    self_training_iter=360)
tta_model = dict(type='WSSSTTAModel', merge='logit')
