# IRN on COCO-2014 WSSS: the VOC recipe (3 epochs, batch 32) on the IR labels of the COCO CAMs
# (tools/wood/make_cam.py + cam_to_ir_label.py with --split ImageSets/Segmentation/train.txt
# --cls-file ImageSets/Segmentation/train_cls.txt, then tools/wood/train_irn.py).
_base_ = ['./irn_r50-d16_1xb32-3e_voc12aug-512x512.py', '../_base_/datasets/coco2014_classes.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/coco2014_wsss}}'
metainfo = {{_base_.coco_metainfo}}
max_iters = (82081 // 32) * 3
train_dataloader = dict(
    dataset=dict(type='WSSSCOCODataset', ann_file='ImageSets/Segmentation/train.txt',
                 cls_label_file='ImageSets/Segmentation/train_cls.txt'))
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
