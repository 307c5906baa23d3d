# BESTIE on COCO-2017 instances with image-level labels (the original released VOC only): the VOC recipe on
# the 80 COCO categories, evaluated with mmdet's CocoMetric (mask AP) on the official val json.
# Category ids: the json's ids 1..90 skip ten (the 91-category list of the COCO paper); BESTIE's class k
# (0..79) is the k-th category in id order, and CocoMetric maps it back to its id through the class names
# of `metainfo`, which are the json's names in that order, so the ten missing ids never appear.
# Prepare (train2017 -> JPEGImages links, ImageSets/Segmentation/train.txt + train_cls.txt):
#   python tools/dataset_converters/coco_wsss.py data/coco/annotations/instances_train2017.json \
#       data/coco/train2017 data/coco2017_bestie --split train
#   python tools/dataset_converters/coco_wsss.py data/coco/annotations/instances_val2017.json \
#       data/coco/val2017 data/coco2017_bestie --split val
#   cp data/coco/annotations/instances_val2017.json data/coco2017_bestie/annotations/
# then WSSS_maps/ (any WSSS method's masks on train) and Peak_points/ (PAM + tools/bestie/extract_peaks.py).
_base_ = ['./bestie-cls_hrnet48_4xb4-50k_voc12aug-416x416.py', '../_base_/datasets/coco2014_classes.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/coco2017_bestie}}'
metainfo = {{_base_.coco_metainfo}}  # the 80 categories (BESTIE drops the background entry)
train_dataloader = dict(
    dataset=dict(ann_file='ImageSets/Segmentation/train.txt', cls_label_file='ImageSets/Segmentation/train_cls.txt'))
val_dataloader = dict(
    dataset=dict(ann_file='ImageSets/Segmentation/val.txt', cls_label_file='ImageSets/Segmentation/val_cls.txt',
                 coco_ann_file='annotations/instances_val2017.json'))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='CocoMetric', ann_file=data_root + '/annotations/instances_val2017.json',
                     metric='segm')
test_evaluator = val_evaluator
