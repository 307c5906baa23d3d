# BESTIE, point labels (Center_points, conf 1.0): Gaussians at every point, point-grouped refined offsets.
_base_ = './bestie-cls_r18-d8_1xb8-4k_synthetic-112x112.py'
points_dir = 'Center_points'
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadBestieAnnotations', with_seg=True, with_points=True, point_conf_thr=None, cache_mb=64),
    dict(type='BestiePhotoMetricDistortion'),
    dict(type='BestieRandomScale', scales=(0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)),
    dict(type='BestieRandomCrop', crop_size=(112, 112)),
    dict(type='BestieRandomFlip', prob=0.5),
    dict(type='GenerateBestieTargets', sup='point', sigma=3, min_area=20),
    dict(type='PackBestieInputs'),
]
train_dataloader = dict(
    dataset=dict(data_prefix=dict(points_path=points_dir), pipeline=train_pipeline))
model = dict(sup='point')
