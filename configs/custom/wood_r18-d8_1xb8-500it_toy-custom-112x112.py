# The example custom dataset of docs/custom_dataset.md (python tools/dataset_converters/make_toy_custom.py
# data/toy_custom): its folder and its five classes on top of the method config; every head, dataset and path
# follows these two settings.
_base_ = ['../wood/wood_r18-d8_1xb8-500it_synthetic-112x112.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/toy_custom}}'
metainfo = dict(classes=('kettle', 'lamp', 'mug', 'plant', 'stool'))
load_from = 'work_dirs/cam_r18-d8_1xb8-2k_toy-custom-112x112/iter_2000.pth'
model = dict(num_ood_prototypes=5)  # at most the number of OoD images (6 in the example)
