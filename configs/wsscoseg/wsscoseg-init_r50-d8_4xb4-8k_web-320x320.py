# wsscoseg Initial Mask Generator, PASCAL VOC setting (wsscoseg cores/symbols/init_fcn_resnet50.py; cores/config.py):
# ResNet-50 (Caffe layout, frozen BN statistics) output stride 8 + WSSCosegHead, trained only on the web images +
# co-segmentation masks (<data_root>/web_images, web_labels, web_train_list.txt), 320 crops, batch 16 (4 GPUs x 4), SGD
# lr 1.6e-3 constant, 8k iterations ("epoch" = 200 iterations), every epoch evaluated on VOC12 val and the best kept.
# Optional fine-tuning (README): resume the best checkpoint with optimizer.lr=1.6e-4.
_base_ = ['../_base_/datasets/voc12aug.py', '../_base_/default_runtime.py']
num_classes = 21
crop_size = (320, 320)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    # detectron2 Caffe ResNet-50 weights: BGR, mean only (the original: RGB mean 123/117/104, no std; wsscoseg
    # cores/config.py)
    mean=[103.53, 116.28, 123.675], std=[1.0, 1.0, 1.0], bgr_to_rgb=False,
    size=crop_size, pad_val=0, seg_pad_val=255)  # pad = mean colour (image) / 255 (label), wsscoseg cores/config.py
model = dict(
    type='WSSCosegSegmentor',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4), style='caffe', norm_cfg=norm_cfg, norm_eval=True, contract_dilation=False,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://detectron2/resnet50_caffe')),
    decode_head=dict(
        type='WSSCosegHead', in_channels=2048, in_index=3, channels=512, dilation=12, dropout_ratio=0.5,
        num_classes=num_classes, align_corners=False, loss_at_feat_res=True,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)),
    train_cfg=dict(),
    # x8 upsampling of the probabilities by three fixed bilinear x2 deconvolutions (wsscoseg
    # cores/symbols/final_fcn_resnet50.py)
    test_cfg=dict(mode='whole', upsample='deconv'))
train_pipeline = [
    dict(type='LoadWSSSImage'),
    dict(type='LoadWSSSAnnotations'),
    # s ~ U(0.7, 1.3) around the original size (VOC/web images are ~500 px on the long side), wsscoseg cores/config.py
    dict(type='RandomResize', scale=(500, 500), ratio_range=(0.7, 1.3), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
test_pipeline = [  # original resolution (wsscoseg eval_seg_model.py)
    dict(type='LoadImageFromFile'),
    dict(type='LoadWSSSAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        _delete_=True, type='WSSSWebDataset', data_root={{_base_.data_root}}, ann_file='web_train_list.txt',
        data_prefix=dict(img_path='web_images', seg_map_path='web_labels'), check_masks='lazy',
        pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optimizer = dict(type='SGD', lr=1.6e-3, momentum=0.9, weight_decay=5e-4)
# MXNet decays only weights and BN gamma: no decay on conv biases (BN beta keeps decay here: see the docs page)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, paramwise_cfg=dict(bias_decay_mult=0.0))
max_iters = 8000
epoch_iters = 200
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=max_iters)]  # constant lr
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=epoch_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=epoch_iters, max_keep_ckpts=3,
                    save_best='mIoU', rule='greater'),  # best epoch on val, as eval_loop.py
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
crf_preset = 'wsscoseg'
ms_scales = (0.7, 1.0, 1.3)
tta_model = dict(type='WSSSTTAModel', merge='prob')
