# SEC on COCO-2014 WSSS (81 classes): the VOC recipe with cues made on COCO
# (python tools/sec/make_cues.py data/coco2014_wsss --preset voc --ann-file ImageSets/Segmentation/train.txt
#  --cls-file ImageSets/Segmentation/train_cls.txt --num-classes 81 -> <data_root>/sec_cues/).
_base_ = ['./sec_vgg16-largefov_1xb15-8k_voc12aug-321x321.py', '../_base_/datasets/coco2014_classes.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/coco2014_wsss}}'
metainfo = {{_base_.coco_metainfo}}
train_dataloader = dict(dataset=dict(ann_file='ImageSets/Segmentation/train.txt'))
val_dataloader = dict(
    dataset=dict(type='WSSSCOCODataset', ann_file='ImageSets/Segmentation/val.txt',
                 data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass')))
test_dataloader = val_dataloader
