import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat
from scipy.sparse import csc_matrix

from mmwsss.datasets.voc_aug import convert_voc_aug, load_sbd_mat, voc_palette

from ..conftest import write_voc_fixture


def _write_sbd(root, ids, size=(24, 32)):
    """SBD layout: dataset/cls/<id>.mat with the GTcls struct, dataset/{train,val}.txt."""
    os.makedirs(osp.join(root, 'dataset', 'cls'), exist_ok=True)
    for k, img_id in enumerate(ids):
        seg = np.zeros(size, np.uint8)
        seg[2:10, 3:9] = 5 + k
        boundaries = np.empty((20, 1), dtype=object)  # SBD: a 20x1 cell of sparse edge maps
        for c in range(20):
            boundaries[c, 0] = csc_matrix(np.zeros(size, np.uint8))
        gtcls = {'Segmentation': seg, 'Boundaries': boundaries,
                 'CategoriesPresent': np.array([5 + k], np.uint8)}
        savemat(osp.join(root, 'dataset', 'cls', img_id + '.mat'), {'GTcls': gtcls})
    with open(osp.join(root, 'dataset', 'train.txt'), 'w') as f:
        f.write('\n'.join(ids[:-1]) + '\n')
    with open(osp.join(root, 'dataset', 'val.txt'), 'w') as f:
        f.write(ids[-1] + '\n')


def test_load_sbd_mat(tmp_path):
    _write_sbd(str(tmp_path), ['x'])
    seg = load_sbd_mat(str(tmp_path / 'dataset' / 'cls' / 'x.mat'))
    assert seg.shape == (24, 32) and seg.dtype == np.uint8
    assert set(np.unique(seg).tolist()) == {0, 5}


def test_load_sbd_mat_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.mat: SBD annotation not found'):
        load_sbd_mat(str(tmp_path / 'nope.mat'))
    savemat(str(tmp_path / 'other.mat'), {'foo': np.zeros(3)})
    with pytest.raises(ValueError, match=r'other.mat: no GTcls struct .*foo'):
        load_sbd_mat(str(tmp_path / 'other.mat'))
    (tmp_path / 'garbage.mat').write_bytes(b'garbage')
    with pytest.raises(ValueError, match='garbage.mat: cannot read as a MATLAB file'):
        load_sbd_mat(str(tmp_path / 'garbage.mat'))


def test_convert_voc_aug(tmp_path):
    voc = write_voc_fixture(str(tmp_path / 'VOC2012'), ids=('v1', 'v2', 'v3'))
    split = osp.join(voc, 'ImageSets/Segmentation')
    os.replace(osp.join(split, 'train.txt'), osp.join(split, 'all.txt'))
    with open(osp.join(split, 'train.txt'), 'w') as f:
        f.write('v1\nv2\n')
    with open(osp.join(split, 'val.txt'), 'w') as f:
        f.write('v3\n')
    # SBD has s1, s2 and v2 (VOC's own v2 mask must win) and v3 (in VOC val: must be excluded)
    sbd = str(tmp_path / 'benchmark_RELEASE')
    _write_sbd(sbd, ['s1', 'v2', 's2', 'v3'])
    counts = convert_voc_aug(voc, sbd, progress=False)
    assert counts['train_aug'] == 4 and counts['val'] == 1
    assert counts['converted_sbd'] == 2 and counts['copied_voc'] == 3
    with open(osp.join(split, 'train_aug.txt')) as f:
        assert f.read().split() == ['s1', 's2', 'v1', 'v2']
    s1 = Image.open(osp.join(voc, 'SegmentationClassAug', 's1.png'))
    assert s1.mode == 'P' and s1.getpalette()[:6] == voc_palette()[:6]
    assert set(np.unique(np.asarray(s1)).tolist()) == {0, 5}
    v2 = np.asarray(Image.open(osp.join(voc, 'SegmentationClassAug', 'v2.png')))
    assert 255 in v2  # the VOC mask (with its void band), not SBD's
    with open(osp.join(split, 'train_aug_cls.txt')) as f:
        lines = dict(line.split(' ', 1) for line in f.read().splitlines())
    assert lines['s1'] == '4' and lines['s2'] == '6' and lines['v1'] == '0'
    # re-running converts nothing (resumable) and gives the same split
    again = convert_voc_aug(voc, sbd, progress=False)
    assert again['converted_sbd'] == 0 and again['copied_voc'] == 0 and again['train_aug'] == 4


def test_convert_voc_aug_missing_dirs(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing: directory does not exist'):
        convert_voc_aug(str(tmp_path / 'missing'), str(tmp_path))
