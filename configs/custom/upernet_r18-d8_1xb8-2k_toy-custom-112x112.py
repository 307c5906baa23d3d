# Fully supervised bound (UPerNet-style decoder, as BLPSeg's) on the example custom dataset of
# docs/custom_dataset.md (python tools/dataset_converters/make_toy_custom.py data/toy_custom).
# The loss is class-balanced: a user's dataset is often mostly background with small objects, where the plain
# cross-entropy learns "everything is background" first and on a short schedule stays there. The weights
# follow the training masks seen so far (w_c = f_c ** -0.5, see ClassBalancedCELoss), for any class list; on
# a balanced dataset they are close to 1 and the loss is the plain one.
_base_ = ['../fully_supervised/upernet_r18-d8_1xb8-2k_synthetic-112x112.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/toy_custom}}'
metainfo = dict(classes=('kettle', 'lamp', 'mug', 'plant', 'stool'))
model = dict(decode_head=dict(loss_decode=dict(_delete_=True, type='ClassBalancedCELoss', class_weight='running')))
