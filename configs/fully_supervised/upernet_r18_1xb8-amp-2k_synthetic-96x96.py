# The UPerNet bound of the main job (tools/main_job.py): the float32 112x112 config with three settings that shorten
# a CPU training step: the backbone at output stride 32, the UPerNet of mmseg's configs (_base_/models/upernet_r50.py)
# and the backbone of BLPSeg, its row, instead of the shared OS-8 backbone; bfloat16 autocast (mmdet's "amp" configs,
# for the CPU: convolutions and matrix products of the forward pass in bfloat16 where the CPU has AVX-512 bf16, float32
# elsewhere, with a warning); and 96x96 crops (3/4 of an image side; the images are 128x128), as its BLPSeg row.
# Everything else, schedule and evaluation included, is the float32 config's.
_base_ = ['./upernet_r18-d8_1xb8-2k_synthetic-112x112.py']
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadWSSSAnnotations', cache_mb=64),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='WSSSRandomCrop', crop_size=(96, 96), cat_max_ratio=0.9),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(type='CPUAutocastOptimWrapper')
# output stride 32: the backbone without dilation, res2-res5 at strides 4/8/16/32, PPM on res5, FPN over res2-res5
model = dict(backbone=dict(strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1)))
