# W-OoD fine-tuning on COCO-2014 WSSS (81 classes; configs/_base_/datasets/coco2014_wsss.py for the layout and the
# converter): the VOC recipe (wood_r50-d16_1xb16-5e_voc12aug-512x512.py) from the COCO CAM classifier, 5 epochs of
# the 82,081 training images. The released code and OoD set cover VOC only: bring an OoD image set whose images
# hold none of the 80 COCO classes as <data_root>/ood_images/ + <data_root>/ood_list.txt (docs/dataset_layout.md).
# The released code's VOC-only rule that drops OoD images predicted as "bottle" has no COCO counterpart: off here.
_base_ = ['./wood_r50-d16_1xb16-5e_voc12aug-512x512.py', '../_base_/datasets/coco2014_classes.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/coco2014_wsss}}'
metainfo = {{_base_.coco_metainfo}}
batch_size = 16
num_epochs = 5
max_iters = (82081 // batch_size) * num_epochs
load_from = 'work_dirs/cam_r50-d16_1xb16-5e_coco2014-512x512/iter_25650.pth'  # the COCO CAM classifier
model = dict(ood_loss=dict(exclude_classes=()))
_coco = dict(type='WSSSCOCODataset', ann_file='ImageSets/Segmentation/train.txt',
             cls_label_file='ImageSets/Segmentation/train_cls.txt')
train_dataloader = dict(dataset=dict(dataset=_coco))
val_dataloader = dict(
    dataset=dict(type='WSSSCOCODataset', ann_file='ImageSets/Segmentation/val.txt',
                 data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'), indices=1000))
test_dataloader = val_dataloader
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(_base_.custom_hooks[1], id_dataloader=dict(_base_.custom_hooks[1].id_dataloader,
                                                    dataset=dict(_base_.custom_hooks[1].id_dataloader.dataset,
                                                                 **_coco))),
]
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# one checkpoint per epoch; the VOC config's GT-selection candidates (W-OoD scores them on VOC train) are not set up
default_hooks = dict(checkpoint=dict(interval=max_iters // num_epochs, save_begin=0, max_keep_ckpts=2))
