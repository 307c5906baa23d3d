# The example custom dataset of docs/custom_dataset.md (python tools/dataset_converters/make_toy_custom.py
# data/toy_custom): its folder and its five classes on top of the method config; every head, dataset and path
# follows these two settings.
# Last stage of CAM + IRN / W-OoD: the segmentation model on the IRN pseudo masks (<data_root>/pseudo_masks/wood,
# from tools/wood/make_sem_seg_labels.py). Class-balanced loss, as the bound of
# upernet_r18-d8_1xb8-2k_toy-custom-112x112.py (docs/custom_dataset.md, "Many small classes").
_base_ = ['../wood/deeplabv3-pseudo_r18-d8_1xb8-2k_synthetic-112x112.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/toy_custom}}'
metainfo = dict(classes=('kettle', 'lamp', 'mug', 'plant', 'stool'))
model = dict(decode_head=dict(loss_decode=dict(_delete_=True, type='ClassBalancedCELoss', class_weight='running')))
