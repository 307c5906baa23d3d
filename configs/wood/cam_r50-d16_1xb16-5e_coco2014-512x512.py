# CAM classifier (the IRN / W-OoD stage 0) on COCO-2014 WSSS (81 classes; configs/_base_/datasets/coco2014_wsss.py
# for the layout and the converter): the VOC recipe, 5 epochs of the 82,081 training images. The CAM evaluation
# (val loop) scores the first 1,000 val images only (set val_dataloader.dataset.indices=None for all 40,137).
_base_ = ['./cam_r50-d16_1xb16-5e_voc12aug-512x512.py', '../_base_/datasets/coco2014_classes.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/coco2014_wsss}}'
metainfo = {{_base_.coco_metainfo}}
batch_size = 16
num_epochs = 5
max_iters = (82081 // batch_size) * num_epochs
train_dataloader = dict(
    dataset=dict(type='WSSSCOCODataset', ann_file='ImageSets/Segmentation/train.txt',
                 cls_label_file='ImageSets/Segmentation/train_cls.txt'))
val_dataloader = dict(
    dataset=dict(type='WSSSCOCODataset', ann_file='ImageSets/Segmentation/val.txt',
                 data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'), indices=1000))
test_dataloader = val_dataloader
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters // num_epochs))
