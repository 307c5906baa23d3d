# Last stage on the embedded dataset: the shared small segmentation model and schedule (the same as
# configs/fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py) trained on IRN pseudo masks instead of GT,
# by pointing seg_map_path at them (override with
# --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=DIR).
_base_ = ['../fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py']
pseudo_dir = 'pseudo_masks/wood'  # relative to data_root (or absolute)
train_dataloader = dict(
    dataset=dict(data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_dir)))
