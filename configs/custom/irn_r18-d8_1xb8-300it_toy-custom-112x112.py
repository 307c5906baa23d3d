# The example custom dataset of docs/custom_dataset.md (python tools/dataset_converters/make_toy_custom.py
# data/toy_custom): its folder and its five classes on top of the method config; every head, dataset and path
# follows these two settings.
_base_ = ['../wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/toy_custom}}'
metainfo = dict(classes=('kettle', 'lamp', 'mug', 'plant', 'stool'))
# the frozen backbone: the W-OoD classifier of configs/custom/wood_r18-d8_1xb8-500it_toy-custom-112x112.py;
# IR labels from tools/wood/cam_to_ir_label.py in <data_root>/ir_label (tools/wood/train_irn.py --cam-checkpoint
# --ir-label-dir set both)
model = dict(backbone=dict(init_cfg=dict(
    checkpoint='work_dirs/wood_r18-d8_1xb8-500it_toy-custom-112x112/iter_500.pth')))
