# The example custom dataset of docs/custom_dataset.md (python tools/dataset_converters/make_toy_custom.py
# data/toy_custom): its folder and its five classes on top of the method config; every head, dataset and path
# follows these two settings.
# BESTIE from image tags: PAM peaks (<data_root>/Peak_points, from pam_r18-d8_1xb8-2k_toy-custom-112x112.py and
# tools/bestie/extract_peaks.py) as instance cues.
_base_ = ['../bestie/bestie-cls_r18-d8_1xb8-4k_synthetic-112x112.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/toy_custom}}'
metainfo = dict(classes=('kettle', 'lamp', 'mug', 'plant', 'stool'))
# semantic maps: the wsscoseg pseudo masks of the same dataset (any WSSS method's masks serve)
train_dataloader = dict(dataset=dict(data_prefix=dict(seg_map_path='pseudo_masks/wsscoseg')))
