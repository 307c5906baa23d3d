# The example custom dataset of docs/custom_dataset.md (python tools/dataset_converters/make_toy_custom.py
# data/toy_custom): its folder and its five classes on top of the method config; every head, dataset and path
# follows these two settings.
_base_ = ['../wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/toy_custom}}'
metainfo = dict(classes=('kettle', 'lamp', 'mug', 'plant', 'stool'))
# no ImageNet stand-in for this dataset: the classifier trains from scratch
model = dict(backbone=dict(init_cfg=None))
