# The BESTIE point row of the main job (tools/main_job.py): the float32 112x112 config with three settings that
# shorten a CPU training step: bfloat16 autocast (convolutions and matrix products of the forward pass in bfloat16
# where the CPU has AVX-512 bf16, float32 elsewhere, with a warning), 88x88 crops (the images are 128x128) and
# PyTorch's fused Adam update (the same update up to float rounding, in one kernel). Everything else, schedule and
# evaluation included, is the float32 config's. The last 1x1 convs of the centre and offset heads stay in float32
# (fp32_modules): offsets are pixel distances up to the crop size, which bfloat16's 8-bit mantissa rounds to
# 0.25-0.5 px, and how the rounding falls depends on the CPU's bfloat16 kernels (AMX or AVX-512) enough to change the
# trained model (benchmarks/README.md, run-to-run spread).
_base_ = ['./bestie-point_r18-d8_1xb8-4k_synthetic-112x112.py']
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBestieAnnotations', with_seg=True, with_points=True, point_conf_thr=None),
    dict(type='BestiePhotoMetricDistortion'),
    dict(type='BestieRandomScale', scales=(0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)),
    dict(type='BestieRandomCrop', crop_size=(88, 88)),
    dict(type='BestieRandomFlip', prob=0.5),
    dict(type='GenerateBestieTargets', sup='point', sigma=3, min_area=20),
    dict(type='PackBestieInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(type='CPUAutocastOptimWrapper', fp32_modules=['head.center.1', 'head.offset.1'],
                     optimizer=dict(fused=True))
