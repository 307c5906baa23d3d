# wsscoseg final model, PASCAL VOC setting (wsscoseg cores/symbols/final_fcn_resnet50.py; cores/config.py): VOC
# train_aug (10,582) with the masks estimated by the Initial Mask Generator (tools/wsscoseg/estimate_masks.py ...
# --ann-file .../train_aug.txt
# --cls-file .../train_aug_cls.txt -> <data_root>/pseudo_masks/wsscoseg) read through seg_map_path.
# Trained from ImageNet weights (not the initial model); global branch = a non-dilated copy of res4/res5 (weights
# copied from the initialised backbone), GMP, 1x1 1024 -> 1024 -> 21 added to the logits; BCE x 0.25 (4-GPU
# reference run, wsscoseg cores/symbols/final_fcn_resnet50.py). 28k iterations ("epoch" = 700), constant lr 1.6e-3, best
# epoch on val (released: epoch 23). Test as the paper: tools/test.py CONFIG CKPT --ms --crf   (scales 0.7/1.0/1.3
# without flip, wsscoseg CRF, wsscoseg eval_seg_model.py)
_base_ = ['./wsscoseg-init_r50-d8_4xb4-8k_web-320x320.py']
model = dict(
    global_branch=dict(in_index=1, stages=(2, 3), channels=(1024, 1024), dropout_ratio=0.5, loss_weight=0.25,
                       presence_from='img_labels', copy_backbone_weights=True))
train_pipeline = [
    dict(type='LoadWSSSImage'),
    # global-branch target: the classes of the whole estimated mask, background only when it appears (wsscoseg
    # cores/symbols/final_fcn_resnet50.py)
    dict(type='LoadWSSSAnnotations', img_labels_from='seg', img_labels_background='present'),
    dict(type='RandomResize', scale=(500, 500), ratio_range=(0.7, 1.3), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True, type='WSSSVOCDataset', data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train_aug.txt', cls_label_file='ImageSets/Segmentation/train_aug_cls.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='pseudo_masks/wsscoseg'), pipeline=train_pipeline))
# final model (wsscoseg cores/symbols/final_fcn_resnet50.py): backbone and both res4/res5 copies: BN beta lr x2, no
# decay; heads: decay on weights only
_bn_beta = dict(lr_mult=2.0, decay_mult=0.0)
optim_wrapper = dict(
    paramwise_cfg=dict(
        bias_decay_mult=0.0,
        custom_keys={'.bn1.bias': _bn_beta, '.bn2.bias': _bn_beta, '.bn3.bias': _bn_beta,
                     'downsample.1.bias': _bn_beta}))
max_iters = 28000
epoch_iters = 700
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=0, end=max_iters)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=epoch_iters)
default_hooks = dict(checkpoint=dict(interval=epoch_iters))
