"""WSSSWebDataset: class from the name, checked against the mask; clear errors naming the file."""
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets.web import WSSSWebDataset, check_web_mask, parse_web_name

CLASSES = ('background', 'aeroplane', 'bicycle', 'bird')  # a VOC subset: 3 foreground classes


def _make(root, items):
    """items: {name: mask array or None (no mask file)}."""
    import os
    os.makedirs(osp.join(root, 'web_images'), exist_ok=True)
    os.makedirs(osp.join(root, 'web_labels'), exist_ok=True)
    for name, mask in items.items():
        Image.fromarray(np.full((8, 8, 3), 100, np.uint8)).save(osp.join(root, 'web_images', name + '.jpg'))
        if mask is not None:
            Image.fromarray(mask.astype(np.uint8)).save(osp.join(root, 'web_labels', name + '.png'))
    with open(osp.join(root, 'web_train_list.txt'), 'w') as f:
        f.write('\n'.join(items) + '\n')


def _mask(cls, extra=None):
    m = np.zeros((8, 8), np.uint8)
    m[2:6, 2:6] = cls
    m[0, 0] = 255
    if extra is not None:
        m[7, 7] = extra
    return m


def _ds(root, **kw):
    return WSSSWebDataset(data_root=str(root), metainfo=dict(classes=CLASSES), pipeline=[], **kw)


def test_labels_from_names_and_groups(tmp_path):
    _make(tmp_path, {'1_000001': _mask(1), '3_000002': _mask(3), '1_000007': np.zeros((8, 8))})
    ds = _ds(tmp_path)
    assert len(ds) == 3
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [i['img_labels'] for i in infos] == [[0], [2], [0]]  # 0-based foreground indices
    assert [i['web_class'] for i in infos] == [1, 3, 1]
    assert infos[0]['seg_map_path'].endswith(osp.join('web_labels', '1_000001.png'))
    assert ds.class_groups() == {1: [0, 2], 3: [1]}


def test_mismatch_names_the_file(tmp_path):
    _make(tmp_path, {'1_000001': _mask(1), '2_000003': _mask(2, extra=1)})
    with pytest.raises(ValueError, match=r'2_000003\.png.*name says class 2'):
        _ds(tmp_path)


def test_unknown_class_in_mask_and_name(tmp_path):
    _make(tmp_path, {'1_000001': _mask(1, extra=9)})
    with pytest.raises(ValueError, match=r'1_000001\.png: unknown class id'):
        _ds(tmp_path)
    _make(tmp_path / 'b', {'7_000001': _mask(1)})
    with pytest.raises(ValueError, match=r'unknown class id 7'):
        _ds(tmp_path / 'b')
    with pytest.raises(ValueError, match='not "<cls>_<number>"'):
        parse_web_name('dog_01', 4)


def test_missing_mask(tmp_path):
    _make(tmp_path, {'1_000001': _mask(1), '2_000002': None})
    with pytest.raises(FileNotFoundError, match=r'2_000002\.png'):
        _ds(tmp_path)


def test_lazy_check_on_access(tmp_path):
    _make(tmp_path, {'1_000001': _mask(1), '2_000002': _mask(3)})
    ds = _ds(tmp_path, check_masks='lazy')
    ds.get_data_info(0)
    with pytest.raises(ValueError, match=r'2_000002\.png'):
        ds.get_data_info(1)
    assert check_web_mask(osp.join(str(tmp_path), 'web_labels', '1_000001.png'), 1, 4).shape == (8, 8)
