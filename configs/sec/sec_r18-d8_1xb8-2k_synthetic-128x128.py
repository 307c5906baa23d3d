# SEC on the embedded dataset with the shared small backbone (ResNetV1c-18 at 1/4 width, output stride 8)
# and the shared short schedule, so it compares with configs/fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py.
# Cues: python tools/sec/make_cues.py data/synthetic --preset synthetic  (writes data/synthetic/sec_cues/,
# 16x16 cue grid for the 128x128 images). Test without CRF by default; with the SEC test CRF:
#   --cfg-options model.test_cfg.crf=sec_test   (or tools/test.py --crf)
_base_ = [
    '../_base_/models/deeplabv3_r18-d8.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_2k.py'
]
class_names = ('background', 'train', 'boat', 'aeroplane', 'sheep', 'bottle', 'tvmonitor')
metainfo = dict(classes=class_names)  # a dataset config that sets its own metainfo replaces it everywhere
num_classes = 7
input_size = (128, 128)
cue_size = 16  # 128 / output stride 8
sec_losses = [
    dict(type='SECSeedLoss', loss_weight=1.0),
    dict(type='SECExpandLoss', d_fg=0.996, d_bg=0.999, pooling='gwrp', loss_weight=1.0),
    dict(type='SECConstrainLoss', crf_params='sec_train', loss_weight=1.0),
]
model = dict(
    type='SECSegmentor',
    decode_head=dict(
        _delete_=True,
        type='SECHead',
        in_channels=128,  # the shared small backbone's last stage
        in_index=3,
        channels=32,
        num_convs=2,  # the ResNet variant: two 3x3 convs (32 ch, the baseline ASPP head's width) + fc8
        kernel_size=3,
        dilation=2,
        dropout_ratio=0.1,
        num_classes=num_classes,
        norm_cfg={{_base_.norm_cfg}},
        align_corners=True,
        loss_decode=sec_losses),
    test_cfg=dict(mode='whole', crf=None, crf_backend='auto'))
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadSECCues'),
    dict(type='Resize', scale=input_size, keep_ratio=False),  # SEC warps; no crop (it would cut the cue grid)
    dict(type='RandomFlip', prob=0.5),  # flips the cues too (SEC-MX flips; the original does not)
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True, type='SECCueDataset', data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train.txt', data_prefix=dict(img_path='JPEGImages'),
        metainfo=metainfo, cue_file='sec_cues/localization_cues.pickle.gz',
        input_list='sec_cues/input_list.txt', cue_size=cue_size, pipeline=train_pipeline))
# The two classifiers of the localization cues (tools/sec/make_cues.py --config THIS, or --preset synthetic; the
# Runner configs sec-cues-{fg,bg}_r18-d8_1xb16-600it_synthetic-128x128.py train them from these settings):
# the CAM classifier gives the foreground cues, the gradient saliency of the second classifier the background
# cues (SEC weak-localization/foreground, .../background); both on the shared small backbone, from scratch.
# Images warped to 128x128 (aspect ratio not kept), ImageNet mean/std in RGB, random flip; SGD (momentum 0.9,
# weight decay 5e-4), lr x0.1 every `step` iterations, as SEC's solver with a shorter run. The tool sets the
# class count, the optional --pretrained init and --backbone-width.
cue_cfg = dict(
    fg_model=dict(type='CAMClassifier', backbone={{_base_.small_backbone}}, in_channels=128, freeze_bn=False),
    bg_model=dict(type='SECSaliencyClassifier', backbone={{_base_.small_backbone}}, in_channels=128,
                  saliency_index=0),
    backbone_out_indices=(1, 3),  # the stride-8 saliency feature, then the classification feature
    data=dict(size=128, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True),
    train=dict(iters=600, step=400, lr=0.05, batch_size=16))
