"""Loading with ``cache_mb`` and WSSSRandomCrop give the pipeline exactly what the plain transforms give."""
import os
import os.path as osp
import random

import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import RandomCrop
from PIL import Image

from mmwsss.datasets.transforms import LoadWSSSAnnotations, LoadWSSSImage, WSSSRandomCrop
from mmwsss.datasets.transforms.loading import label_values


def _sample(tmp_path, name='a', seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)
    Image.fromarray(img).save(tmp_path / f'{name}.jpg')
    seg = np.zeros((20, 24), np.uint8)
    seg[5:12, 4:15] = 3
    seg[0] = 255
    Image.fromarray(seg).save(tmp_path / f'{name}_seg.png')
    scr = np.full((20, 24), 255, np.uint8)
    scr[8, 3:20] = 3
    scr[17, :] = 0
    Image.fromarray(scr).save(tmp_path / f'{name}_scr.png')
    return dict(img_path=str(tmp_path / f'{name}.jpg'), seg_map_path=str(tmp_path / f'{name}_seg.png'),
                gt_scribble_path=str(tmp_path / f'{name}_scr.png'), num_classes=7)


def test_cached_image_loading_equals_mmcv_and_decodes_once(tmp_path):
    info = _sample(tmp_path)
    plain, cached = LoadImageFromFile(), LoadWSSSImage(cache_mb=1)
    ref = plain(dict(info))['img']
    first = cached(dict(info))['img']
    first[:] = 0  # a transform that works in place on its input must not reach the cache
    second = cached(dict(info))
    np.testing.assert_array_equal(second['img'], ref)
    assert second['img_shape'] == second['ori_shape'] == (20, 24)
    assert (cached.cache.hits, cached.cache.misses) == (1, 1)
    assert LoadWSSSImage().cache.max_bytes == 0  # off by default


def test_cached_annotations_equal_uncached_after_the_in_place_scribble_remap(tmp_path):
    info = _sample(tmp_path)
    kwargs = dict(with_seg=True, extra_maps=('gt_scribble', ), scribble_unlabeled_to=7, img_labels_from='scribble')
    plain, cached = LoadWSSSAnnotations(**kwargs), LoadWSSSAnnotations(cache_mb=1, **kwargs)
    ref = plain(dict(info, ori_shape=(20, 24)))
    for _ in range(3):
        out = cached(dict(info, ori_shape=(20, 24)))
        for key in ('gt_seg_map', 'gt_scribble', 'gt_img_labels'):
            np.testing.assert_array_equal(out[key], ref[key])
    assert (out['gt_scribble'] == 7).any() and not (out['gt_scribble'] == 255).any()
    assert cached.cache.hits == 4 and cached.cache.misses == 2  # two maps, three reads each
    # the checks still run on a cached map: a mismatching image size is reported on the hit
    with pytest.raises(ValueError, match='_seg.png.*size 20x24.*size 10x10'):
        cached(dict(info, ori_shape=(10, 10)))


def test_a_regenerated_label_file_is_read_again(tmp_path):
    info = _sample(tmp_path)
    load = LoadWSSSAnnotations(cache_mb=1)
    assert load(dict(info))['gt_seg_map'].max() == 255
    seg = np.full((20, 24), 2, np.uint8)
    Image.fromarray(seg).save(info['seg_map_path'])
    st = os.stat(info['seg_map_path'])
    os.utime(info['seg_map_path'], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    out = load(dict(info))
    assert (out['gt_seg_map'] == 2).all() and out['gt_img_labels'].tolist() == [1, 0, 1, 0, 0, 0, 0]


@pytest.mark.parametrize('dtype', [np.uint8, np.int32])
def test_label_values_equal_np_unique(dtype):
    rng = np.random.default_rng(1)
    for high in (1, 7, 256):
        label = rng.integers(0, high, (33, 17)).astype(dtype)
        values = label_values(label)
        np.testing.assert_array_equal(values, np.unique(label))
        assert values.dtype == np.unique(label).dtype


def test_wsss_random_crop_draws_the_crops_of_mmseg_random_crop():
    rng = np.random.default_rng(2)
    ours, theirs = WSSSRandomCrop((16, 16), cat_max_ratio=0.75), RandomCrop((16, 16), cat_max_ratio=0.75)
    no_check = RandomCrop((16, 16), cat_max_ratio=1.0)
    redrawn = 0
    for i in range(200):
        seg = np.zeros((30, 40), np.uint8)  # mostly background: the check redraws often, up to 10 times
        y, x = rng.integers(0, 25), rng.integers(0, 35)
        seg[y:y + rng.integers(1, 8), x:x + rng.integers(1, 8)] = rng.integers(1, 5)
        seg[rng.integers(0, 30), :] = 255
        img = rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)
        boxes = []
        for crop in (ours, theirs):
            np.random.seed(i)
            boxes.append(crop.crop_bbox(dict(img=img, gt_seg_map=seg)))
            boxes.append(np.random.randint(0, 10**6))  # the random state after the draws
        assert boxes[:2] == boxes[2:], i
        np.random.seed(i)
        redrawn += boxes[0] != no_check.crop_bbox(dict(img=img, gt_seg_map=seg))
    assert redrawn > 50  # the check decided something
    # other dtypes and cat_max_ratio 1 take mmseg's code path, with the same result
    seg = rng.integers(0, 3, (30, 40)).astype(np.int64)
    np.random.seed(0)
    a = ours.crop_bbox(dict(img=seg, gt_seg_map=seg))
    np.random.seed(0)
    assert a == theirs.crop_bbox(dict(img=seg, gt_seg_map=seg))
    random.seed(0)
    out = ours(dict(img=np.zeros((30, 40, 3), np.uint8), gt_seg_map=np.zeros((30, 40), np.uint8),
                    seg_fields=['gt_seg_map'], img_shape=(30, 40)))
    assert out['img'].shape == (16, 16, 3) and out['gt_seg_map'].shape == (16, 16)
