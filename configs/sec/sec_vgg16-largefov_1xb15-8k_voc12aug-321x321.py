# SEC (Kolesnikov & Lampert, ECCV 2016) on PASCAL VOC 2012 train_aug, as the original Caffe setup
# (SEC training/train.prototxt; deploy/demo.py): VGG-16 DeepLab-LargeFOV from vgg16_20M, 321x321 warped
# input, seed + expand (GWRP) + constrain losses on the 41x41 logits, batch 15, SGD lr 1e-3 x0.1 every
# 2000 iterations, 8000 iterations, original lr multipliers, test: resize 321 -> softmax -> upsample -> CRF.
# Cues: the released localization_cues.pickle.gz + input_list.txt in <data_root>/sec_cues/ (or ones made
# by tools/sec/make_cues.py --preset voc).
_base_ = ['../_base_/datasets/voc12aug.py', '../_base_/default_runtime.py']
num_classes = 21
input_size = (321, 321)
# Caffe-converted weights expect BGR with the Caffe mean and no std
data_preprocessor = dict(
    type='SegDataPreProcessor', mean=[104.0, 117.0, 123.0], std=[1.0, 1.0, 1.0], bgr_to_rgb=False, pad_val=0,
    seg_pad_val=255, size=input_size)
sec_losses = [
    dict(type='SECSeedLoss', loss_weight=1.0),
    dict(type='SECExpandLoss', d_fg=0.996, d_bg=0.999, pooling='gwrp', loss_weight=1.0),
    dict(type='SECConstrainLoss', crf_params='sec_train', loss_weight=1.0),
]
model = dict(
    type='SECSegmentor',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='VGG16LargeFOV', arch='largefov', dropout=0.5, out_indices=(5, ),
        # converted DeepLab vgg16_20M; train without it only for tests
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/vgg16_20M.pth')),
    decode_head=dict(
        type='SECHead', in_channels=1024, channels=1024, num_convs=0, in_index=-1, num_classes=num_classes,
        dropout_ratio=0.0,  # the backbone's fc7 already ends in dropout 0.5
        align_corners=True, loss_decode=sec_losses),
    train_cfg=dict(),
    test_cfg=dict(mode='whole', crf='sec_test', crf_backend='auto'))
train_pipeline = [
    dict(type='LoadWSSSImage'),
    dict(type='LoadSECCues'),
    dict(type='Resize', scale=input_size, keep_ratio=False),  # warp (Caffe ImageData: cv2 bilinear), no crop/flip
    dict(type='PackWSSSInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    # SEC's deploy/demo.py: scipy zoom(order=1) to 321x321 (corner-aligned bilinear, float input), not the
    # pixel-centre cv2 resize of training (Caffe's ImageData layer); docs/fidelity.md
    dict(type='ZoomResize', scale=input_size),
    dict(type='LoadWSSSAnnotations'),  # after Resize: the GT stays at the original size
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=15,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True, type='SECCueDataset', data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train_aug.txt', data_prefix=dict(img_path='JPEGImages'),
        cue_file='sec_cues/localization_cues.pickle.gz', input_list='sec_cues/input_list.txt', cue_size=41,
        pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# original lr multipliers (training/train.prototxt): conv bias x2 without decay; fc8 weight x10, bias x20 without decay.
# A custom key replaces bias_lr_mult for the params it matches, so the fc8 bias has its own key.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4),
    clip_grad=None,
    paramwise_cfg=dict(
        bias_lr_mult=2.0, bias_decay_mult=0.0,
        custom_keys={
            'decode_head.conv_seg.weight': dict(lr_mult=10.0, decay_mult=1.0),
            'decode_head.conv_seg.bias': dict(lr_mult=20.0, decay_mult=0.0),
        }))
param_scheduler = [dict(type='MultiStepLR', milestones=[2000, 4000, 6000], gamma=0.1, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=8000, val_interval=8000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1000, max_keep_ckpts=3))
randomness = dict(seed=0)
# The two classifiers of the localization cues (tools/sec/make_cues.py --config THIS, or --preset voc; the Runner
# configs sec-cues-{fg,bg}_vgg16_1xb15-8k_voc12aug-321x321.py train them from these settings): VGG-16
# nets at 321x321 with Caffe's BGR mean, the solver of SEC training/solver.prototxt with stepsize 4000 (SEC
# weak-localization/foreground, .../background); the saliency is taken at the stride-8 conv4 output (outs[0]).
# The tool sets the class count and the --pretrained init (the converted vgg16_20M).
cue_cfg = dict(
    fg_model=dict(type='CAMClassifier',
                  backbone=dict(type='VGG16LargeFOV', arch='cam', fc7_relu=True, out_indices=(2, 5)),
                  in_channels=1024, freeze_bn=False),
    bg_model=dict(type='SECSaliencyClassifier',
                  backbone=dict(type='VGG16LargeFOV', arch='cam', with_fc=False, out_indices=(2, 4)),
                  in_channels=512, saliency_index=0),
    backbone_out_indices=None,  # as written in the backbones
    data=dict(size=321, mean=[104.008, 116.669, 122.675], std=[1.0, 1.0, 1.0], to_rgb=False),
    train=dict(iters=8000, step=4000, lr=1e-3, batch_size=15))
