# The BESTIE oracle row of the main job (tools/main_job.py): the float32 112x112 config with three settings that
# shorten a CPU training step: the backbone at output stride 32 as in BESTIE's ResNet option (a torchvision ResNet
# without dilation under the Panoptic-DeepLab decoders, BESTIE models/__init__.py and models/resnet.py) instead of the
# shared OS-8 backbone, 88x88 crops (the images are 128x128) and PyTorch's fused Adam update (the same update up to
# float rounding, in one kernel). Everything else, schedule and evaluation included, is the float32 config's; the
# trained model moves by several mAP50 points with the CPU's kernels and the seed (benchmarks/README.md, run-to-run
# spread).
_base_ = ['./bestie-oracle_r18-d8_1xb8-4k_synthetic-112x112.py']
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadBestieAnnotations', with_seg=True, with_points=False, with_inst=True, cache_mb=64),
    dict(type='BestiePhotoMetricDistortion'),
    dict(type='BestieRandomScale', scales=(0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)),
    dict(type='BestieRandomCrop', crop_size=(88, 88)),
    dict(type='BestieRandomFlip', prob=0.5),
    dict(type='GenerateBestieTargets', sup='full', sigma=3),
    dict(type='PackBestieInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(fused=True))
# output stride 32: the backbone without dilation, res2-res5 at strides 4/8/16/32, the top-down path of the decoders
# fuses res4, res3 and res2 as in the original
model = dict(backbone=dict(strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1)))
