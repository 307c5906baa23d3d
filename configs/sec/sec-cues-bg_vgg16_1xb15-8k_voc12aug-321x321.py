# SEC's background-cue classifier (a plain VGG-16 multi-label classifier whose gradient saliency at conv4 gives the
# background cues, SEC weak-localization/background) on PASCAL VOC 2012 train_aug, trained on mmengine's Runner:
# python tools/train.py THIS, then
# python tools/sec/make_cues.py data/VOCdevkit/VOC2012 --preset voc --bg-checkpoint <work dir>/iter_8000.pth ...
# (configs/sec/README.md). Data, schedule, optimiser and backbone init are the foreground classifier's (all from
# the VOC SEC config); only the model differs.
_base_ = ['./sec-cues-fg_vgg16_1xb15-8k_voc12aug-321x321.py']
model = dict(
    _delete_=True,
    type={{_base_.cue_cfg.bg_model.type}},
    data_preprocessor={{_base_.cue_data_preprocessor}},
    backbone={{_base_.cue_cfg.bg_model.backbone}},
    in_channels={{_base_.cue_cfg.bg_model.in_channels}},
    saliency_index={{_base_.cue_cfg.bg_model.saliency_index}},
    num_classes={{_base_.num_classes}},
    pretrained={{_base_.model.pretrained}})
