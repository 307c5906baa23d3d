# The class-balanced bound on a dataset with many small classes (docs/custom_dataset.md, "Many small classes"):
#   python tools/dataset_converters/make_toy_custom.py data/toy_custom_many --num-classes 20 \
#       --object-scale 0.1 0.17 --max-objects 4 --num-train 400 --num-val 100 --image-size 128
# background about 90 % of the pixels, each class about 0.5 %.
_base_ = ['./upernet_r18-d8_1xb8-2k_toy-custom-112x112.py']
data_root = '{{$MMWSSS_DATA_ROOT:data/toy_custom_many}}'
metainfo = dict(classes=('kettle', 'lamp', 'mug', 'plant', 'stool', 'bowl', 'broom', 'clock', 'fan', 'jar',
                         'kettlebell', 'ladder', 'mirror', 'pan', 'pillow', 'radio', 'shelf', 'sponge', 'toaster',
                         'vase'))
