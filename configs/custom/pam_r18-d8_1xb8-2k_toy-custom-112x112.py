# The example custom dataset of docs/custom_dataset.md (python tools/dataset_converters/make_toy_custom.py
# data/toy_custom): its folder and its five classes on top of the method config; every head, dataset and path
# follows these two settings.
# The PAM classifier gives BESTIE its instance cues from image tags (tools/bestie/extract_peaks.py writes
# <data_root>/Peak_points, which bestie-cls_r18-d8_1xb8-4k_toy-custom-112x112.py reads).
_base_ = ['../bestie/pam_r18-d8_1xb8-2k_synthetic-112x112.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/toy_custom}}'
metainfo = dict(classes=('kettle', 'lamp', 'mug', 'plant', 'stool'))
