# BLPSeg on the scribbles of the many-small-classes dataset (see
# upernet_r18-d8_1xb8-2k_toy-custom-many-112x112.py for the command that makes it): same backbone, crop and
# schedule as the class-balanced bound there. Its losses are BLPSeg's own on the scribbles (one stroke per object
# and a few on the background, so the labelled pixels are balanced by construction).
_base_ = ['./blpseg_r18-d8_1xb8-2k_toy-custom-scribble-112x112.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/toy_custom_many}}'
metainfo = dict(classes=('kettle', 'lamp', 'mug', 'plant', 'stool', 'bowl', 'broom', 'clock', 'fan', 'jar',
                         'kettlebell', 'ladder', 'mirror', 'pan', 'pillow', 'radio', 'shelf', 'sponge', 'toaster',
                         'vase'))
