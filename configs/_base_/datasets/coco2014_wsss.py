# MS-COCO 2014 for weakly-supervised semantic segmentation: 81 classes (background + the 80 annotated
# categories; category ids 1..90 with ten unused map to labels 1..80 by rank, mmwsss/datasets/coco.py),
# train 82,081 / val 40,137 images. Prepare with (resumable):
#   python tools/dataset_converters/coco_wsss.py data/coco/annotations/instances_train2014.json \
#       data/coco/train2014 data/coco2014_wsss --split train
#   python tools/dataset_converters/coco_wsss.py data/coco/annotations/instances_val2014.json \
#       data/coco/val2014 data/coco2014_wsss --split val
# Layout: JPEGImages/ (links), SegmentationClass/, ImageSets/Segmentation/{train,val}.txt and {train,val}_cls.txt.
_base_ = ['./voc12aug.py']  # the same pipelines, crop and evaluator as VOC
dataset_type = 'WSSSCOCODataset'
data_root = '{{$MMWSSS_DATA_ROOT:data/coco2014_wsss}}'  # the one data switch: --cfg-options data_root=DIR
num_classes = 81
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/train.txt',
                 cls_label_file='ImageSets/Segmentation/train_cls.txt',
                 data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass')))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='ImageSets/Segmentation/val.txt',
                 cls_label_file='ImageSets/Segmentation/val_cls.txt',
                 data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass')))
test_dataloader = val_dataloader
