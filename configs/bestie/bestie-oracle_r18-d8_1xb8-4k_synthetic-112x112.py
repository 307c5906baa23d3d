# Oracle / upper bound: true instance targets from SegmentationObject + SegmentationClass
# (same network, data and schedule; no refinement).
_base_ = './bestie-cls_r18-d8_1xb8-4k_synthetic-112x112.py'
train_pipeline = [
    dict(type='LoadWSSSImage', cache_mb=64),
    dict(type='LoadBestieAnnotations', with_seg=True, with_points=False, with_inst=True, cache_mb=64),
    dict(type='BestiePhotoMetricDistortion'),
    dict(type='BestieRandomScale', scales=(0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)),
    dict(type='BestieRandomCrop', crop_size=(112, 112)),
    dict(type='BestieRandomFlip', prob=0.5),
    dict(type='GenerateBestieTargets', sup='full', sigma=3),
    dict(type='PackBestieInputs'),
]
train_dataloader = dict(
    dataset=dict(
        data_prefix=dict(
            _delete_=True, img_path='JPEGImages', seg_map_path='SegmentationClass',
            inst_map_path='SegmentationObject'),
        pipeline=train_pipeline))
model = dict(sup='full', refine=False)
