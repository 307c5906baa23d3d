# BESTIE on VOC with point labels (Center_points): same recipe, flip TTA at test (BESTIE scripts/run_image_labels.sh
# table).
_base_ = './bestie-cls_hrnet48_4xb4-50k_voc12aug-416x416.py'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBestieAnnotations', with_seg=True, with_points=True, point_conf_thr=None),
    dict(type='BestiePhotoMetricDistortion', brightness_delta=16, contrast_range=(0.5, 1.5), hue_delta=36),
    dict(type='BestieResize', long_side=449, size_divisor=32, plus_one=True),
    dict(type='BestieRandomScale', scales=(0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)),
    dict(type='BestieRandomCrop', crop_size=(416, 416), img_pad_val=(103, 116, 123), seg_pad_val=0),
    dict(type='BestieRandomFlip', prob=0.5),
    dict(type='GenerateBestieTargets', sup='point', sigma=6, min_area=50),
    dict(type='PackBestieInputs'),
]
train_dataloader = dict(dataset=dict(data_prefix=dict(points_path='Center_points'), pipeline=train_pipeline))
model = dict(sup='point', test_cfg=dict(flip=True))
