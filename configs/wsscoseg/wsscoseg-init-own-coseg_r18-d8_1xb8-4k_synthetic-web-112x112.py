# Initial Mask Generator on the masks of our co-segmentation tool instead of the shipped-style web_labels:
#   python tools/wsscoseg/coseg.py data/synthetic --out-dir data/synthetic/web_labels_coseg
_base_ = ['./wsscoseg-init_r18-d8_1xb8-4k_synthetic-web-112x112.py']
train_dataloader = dict(dataset=dict(data_prefix=dict(img_path='web_images', seg_map_path='web_labels_coseg')))
