# The two classifiers of SEC's localization cues on the embedded dataset, for tools/sec/make_cues.py
# (`--preset synthetic` is this file): the CAM classifier gives the foreground cues, the gradient saliency of
# the second classifier the background cues (SEC weak-localization/foreground, .../background). Both use the
# shared small backbone of the embedded configs, trained from scratch; the tool sets the class count, the
# optional --pretrained init and --backbone-width.
_base_ = ['../_base_/models/deeplabv3_r18-d8.py']  # small_backbone
fg_model = dict(type='CAMClassifier', backbone={{_base_.small_backbone}}, in_channels=128, freeze_bn=False)
bg_model = dict(type='SECSaliencyClassifier', backbone={{_base_.small_backbone}}, in_channels=128, saliency_index=0)
# backbone outputs both nets use: the stride-8 saliency feature, then the classification feature
backbone_out_indices = (1, 3)
# images warped to 128x128 (aspect ratio not kept), ImageNet mean/std in RGB, random flip in training
cue_data = dict(size=128, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
# SGD (momentum 0.9, weight decay 5e-4), lr x0.1 every `step` iterations, as SEC's solver with a shorter run
cue_train = dict(iters=600, step=400, lr=0.05, batch_size=16)
