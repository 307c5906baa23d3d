# SEC's background-cue classifier (a plain multi-label classifier whose gradient saliency gives the background
# cues, SEC weak-localization/background) on the embedded dataset, trained on mmengine's Runner:
# python tools/train.py THIS, then
# python tools/sec/make_cues.py data/synthetic --preset synthetic --bg-checkpoint <work dir>/iter_600.pth ...
# (configs/sec/README.md). Data, schedule and optimiser are the foreground classifier's (both from the SEC
# config's cue_cfg); only the model differs.
_base_ = ['./sec-cues-fg_r18-d8_1xb16-600it_synthetic-128x128.py']
model = dict(
    _delete_=True,
    type={{_base_.cue_cfg.bg_model.type}},
    data_preprocessor={{_base_.cue_data_preprocessor}},
    backbone={{_base_.cue_cfg.bg_model.backbone}},
    in_channels={{_base_.cue_cfg.bg_model.in_channels}},
    saliency_index={{_base_.cue_cfg.bg_model.saliency_index}},
    num_classes={{_base_.num_classes}})
