# The example custom dataset of docs/custom_dataset.md (python tools/dataset_converters/make_toy_custom.py
# data/toy_custom): its folder and its five classes on top of the method config; every head, dataset and path
# follows these two settings.
_base_ = ['../bestie/mask-rcnn-bestie-pseudo_r18_fpn_1xb8-2k_synthetic.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/toy_custom}}'
metainfo = dict(classes=('kettle', 'lamp', 'mug', 'plant', 'stool'))
