# BLPSeg in the main job (tools/main_job.py), next to its UPerNet bound
# (configs/fully_supervised/upernet_r18_1xb8-amp-2k_synthetic-96x96.py): the float32 112x112 config with three
# settings that shorten a CPU training step: the backbone at output stride 32, as BLPSeg's own ResNet (built with
# dilated=False, BLPSeg lib/net/backbone/resnet.py), instead of the shared OS-8 backbone; bfloat16 autocast (LAM keeps
# float32 inside, mmwsss/models/necks/lam.py; float32 with a warning on a CPU without bfloat16 kernels, where bfloat16
# would be slower); and 96x96 crops (3/4 of an image side; the images are 128x128). Everything else, schedule and
# evaluation included, is the float32 config's.
_base_ = ['./blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py']
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadWSSSAnnotations', with_seg=False, extra_maps=('gt_scribble', ),
         scribble_unlabeled_to=7, img_labels_from='scribble', cache_mb=64),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(96, 96), cat_max_ratio=1.0),  # no GT mask -> no category check
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(type='CPUAutocastOptimWrapper')
# output stride 32: the backbone without dilation, res2-res5 at strides 4/8/16/32, PPM on res5, FPN over res2-res5
model = dict(backbone=dict(strides=(1, 2, 2, 2), dilations=(1, 1, 1, 1)))
