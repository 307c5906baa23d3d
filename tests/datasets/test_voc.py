import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets import WSSSVOCDataset
from mmwsss.datasets.transforms import LoadWSSSAnnotations, LoadWSSSImage, PackWSSSInputs


def _pipeline(**kwargs):
    return [dict(type='LoadWSSSImage'), dict(type='LoadWSSSAnnotations', **kwargs),
            dict(type='PackWSSSInputs')]


def test_loads_images_masks_labels_and_scribbles(voc_root):
    ds = WSSSVOCDataset(data_root=voc_root, cls_label_file='ImageSets/Segmentation/train_cls.txt',
                        extra_maps=dict(gt_scribble='Scribbles'),
                        pipeline=_pipeline(extra_maps=('gt_scribble',), scribble_unlabeled_to=21))
    assert len(ds) == 3
    assert ds.get_data_info(1)['img_labels'] == [1]
    out = ds[1]
    sample = out['data_samples']
    assert out['inputs'].shape == (3, 24, 32)
    seg = sample.gt_sem_seg.data
    assert seg.shape == (1, 24, 32) and set(seg.unique().tolist()) == {0, 2, 255}
    scr = sample.gt_scribble.data
    assert scr.shape == (1, 24, 32)
    # 255 ("not annotated") became num_classes; stroke pixels keep their class
    assert set(scr.unique().tolist()) == {0, 2, 21}
    labels = sample.gt_img_labels
    assert labels.shape == (21,) and labels.nonzero().flatten().tolist() == [0, 2]


def test_img_labels_from_mask_and_from_scribble(voc_root):
    ds = WSSSVOCDataset(data_root=voc_root, extra_maps=dict(gt_scribble='Scribbles'),
                        pipeline=_pipeline(extra_maps=('gt_scribble',), img_labels_from='scribble'))
    assert ds.get_data_info(0)['img_labels'] is None
    assert ds[2]['data_samples'].gt_img_labels.nonzero().flatten().tolist() == [0, 3]
    ds = WSSSVOCDataset(data_root=voc_root, pipeline=_pipeline())
    assert ds[0]['data_samples'].gt_img_labels.nonzero().flatten().tolist() == [0, 1]


def test_geometric_transforms_move_extra_maps(voc_root):
    pipeline = [dict(type='LoadWSSSImage'),
                dict(type='LoadWSSSAnnotations', extra_maps=('gt_scribble',)),
                dict(type='RandomFlip', prob=1.0),
                dict(type='RandomCrop', crop_size=(40, 40)),  # larger than the image: padded
                dict(type='PackWSSSInputs')]
    ds = WSSSVOCDataset(data_root=voc_root, extra_maps=dict(gt_scribble='Scribbles'), pipeline=pipeline)
    sample = ds[0]['data_samples']
    scr = sample.gt_scribble.data[0]
    seg = sample.gt_sem_seg.data[0]
    assert scr.shape == seg.shape
    # the horizontal background stroke on row 20 (cols 2..29) is flipped to cols 2..29 mirrored
    row = (scr == 0).nonzero()
    assert row[:, 0].unique().tolist() == [20]
    assert row[:, 1].min().item() == 32 - 30 and row[:, 1].max().item() == 32 - 3


def test_missing_data_root(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.*data_root does not exist'):
        WSSSVOCDataset(data_root=str(tmp_path / 'nowhere'))


def test_empty_split_file(voc_root):
    open(osp.join(voc_root, 'ImageSets/Segmentation/empty.txt'), 'w').close()
    with pytest.raises(ValueError, match='empty.txt: split file is empty'):
        WSSSVOCDataset(data_root=voc_root, ann_file='ImageSets/Segmentation/empty.txt')


def test_missing_image_is_named(voc_root):
    os.remove(osp.join(voc_root, 'JPEGImages', 'b.jpg'))
    with pytest.raises(FileNotFoundError, match=r'JPEGImages/b\.jpg: file not found \(1 of 3'):
        WSSSVOCDataset(data_root=voc_root)


def test_unreadable_image_is_named(voc_root):
    with open(osp.join(voc_root, 'JPEGImages', 'a.jpg'), 'wb') as f:
        f.write(b'not a jpeg')
    ds = WSSSVOCDataset(data_root=voc_root, pipeline=_pipeline())
    with pytest.raises(ValueError, match=r'a\.jpg: cannot decode image'):
        ds[0]


def test_mask_size_mismatch_is_named(voc_root):
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(osp.join(voc_root, 'SegmentationClass', 'c.png'))
    ds = WSSSVOCDataset(data_root=voc_root, pipeline=_pipeline())
    with pytest.raises(ValueError, match=r'c\.png: gt_seg_map has size 10x10 but its image .* 24x32'):
        ds[2]


def test_label_values_out_of_range_are_named(voc_root):
    mask = np.zeros((24, 32), np.uint8)
    mask[0, 0] = 30
    Image.fromarray(mask).save(osp.join(voc_root, 'SegmentationClass', 'a.png'))
    ds = WSSSVOCDataset(data_root=voc_root, pipeline=_pipeline())
    with pytest.raises(ValueError, match=r'a\.png: gt_seg_map has label values \[30\] outside the 21'):
        ds[0]


def test_bad_cls_label_file(voc_root):
    path = osp.join(voc_root, 'ImageSets/Segmentation/bad_cls.txt')
    with open(path, 'w') as f:
        f.write('a 0\nb 25\nc 1\n')
    with pytest.raises(ValueError, match=r'bad_cls.txt:2: class index \[25\] outside \[0, 19\]'):
        WSSSVOCDataset(data_root=voc_root, cls_label_file='ImageSets/Segmentation/bad_cls.txt')
    with open(path, 'w') as f:
        f.write('a 0\n')
    with pytest.raises(ValueError, match=r'no image-level labels for 2 ids'):
        WSSSVOCDataset(data_root=voc_root, cls_label_file='ImageSets/Segmentation/bad_cls.txt')


def test_transforms_standalone_pack_types(voc_root):
    results = dict(img_path=osp.join(voc_root, 'JPEGImages', 'a.jpg'),
                   seg_map_path=osp.join(voc_root, 'SegmentationClass', 'a.png'),
                   gt_scribble_path=osp.join(voc_root, 'Scribbles', 'a.png'), num_classes=21,
                   img_labels=None)
    results = LoadWSSSImage()(results)
    results = LoadWSSSAnnotations(extra_maps=('gt_scribble',))(results)
    assert results['seg_fields'] == ['gt_seg_map', 'gt_scribble']
    packed = PackWSSSInputs()(results)
    assert packed['data_samples'].gt_scribble.data.dtype.is_floating_point is False
    assert packed['data_samples'].gt_img_labels.dtype.is_floating_point
