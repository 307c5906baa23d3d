# IRN (boundary + displacement heads) on the embedded dataset: frozen stage-wise features of the CAM
# classifier backbone, trained on IR labels (confident seeds) (IRN, as run by W-OoD run_sample_pseudo_gt.py).
# Trains with tools/train.py like any model; the backbone checkpoint and the IR label folder are options:
#   python tools/train.py configs/wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py --cfg-options \
#       model.backbone.init_cfg.checkpoint=CAM.pth train_dataloader.dataset.data_prefix.seg_map_path=IR_LABEL_DIR
# (tools/wood/train_irn.py --cam-checkpoint --ir-label-dir sets both and checks that they exist).
_base_ = [
    '../_base_/models/deeplabv3_r18-d8.py', '../_base_/datasets/synthetic.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_2k.py'
]
class_names = ('background', 'train', 'boat', 'aeroplane', 'sheep', 'bottle', 'tvmonitor')
metainfo = dict(classes=class_names)  # a dataset config that sets its own metainfo replaces it everywhere
crop_size = (112, 112)
irn_iters = 300
data_preprocessor = dict(
    type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=crop_size)
model = dict(
    _delete_=True,
    type='IRNet',
    data_preprocessor=data_preprocessor,
    backbone=dict(  # the CAM classifier's backbone (OS 8), frozen and kept in eval mode by IRNet
        type='ResNetV1c', depth=18, stem_channels=16, base_channels=16, num_stages=4, out_indices=(0, 1, 2, 3),
        strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True, style='pytorch', contract_dilation=True,
        # the CAM classifier's weights (keys backbone.*); the default is the W-OoD classifier of the README
        init_cfg=dict(type='Pretrained', checkpoint='work_dirs/wood_r18-d8_1xb8-500it_synthetic-112x112/iter_500.pth',
                      prefix='backbone.')),
    in_channels=(16, 32, 64, 128),
    edge_channels=32,
    dp_channels=(32, 64, 64, 64),
    dp_hidden=64,
    radius=10,
    # W-OoD pads test images to the IRN crop; the 128-px embedded images are larger than the 112 crop: no padding
    test_pad_size=112)
irn_train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadWSSSAnnotations', cache_mb=64),  # gt_seg_map = the IR label (seg_map_path points at ir_label/)
    # IRN voc12/dataloader.py: scale factor U(0.5, 1.5), PIL bicubic image, PIL nearest label (misc/imutils.py)
    dict(type='PILRandomRescale', ratio_range=(0.5, 1.5)),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=8,
    dataset=dict(data_prefix=dict(img_path='JPEGImages', seg_map_path='ir_label'), pipeline=irn_train_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
# IRN: lr 0.1 edge layers, 10x for the displacement layers, wd 1e-4, poly 0.9
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'dp_': dict(lr_mult=10.0)}))
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=irn_iters,
                        by_epoch=False)]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=irn_iters)
default_hooks = dict(checkpoint=dict(interval=irn_iters), visualization=dict(type='SegVisualizationHook', draw=False))
# Random walk (tools/wood/make_sem_seg_labels.py reads this; CLI flags override). IRN's 2^8 steps of radius 5 are
# set for VOC's ~125-cell stride-4 grids; the embedded images give 32-cell grids, 4x smaller, and the walk's reach
# grows with the square root of the number of steps, so the same relative reach takes 16x fewer steps: exp_times 4.
# bg_thr 0.5 instead of IRN's 0.22: the walk's background score is a CAM threshold, and the
# embedded CAMs from the ImageNet stand-in peak at a background threshold of 0.50 in make_cam.py's sweep (plain
# pipeline; VOC CAMs near 0.16), so the walk uses the CAM sweep's value.
random_walk = dict(beta=10.0, exp_times=4, radius=5, np_power=1.5, bg_thr=0.5)
