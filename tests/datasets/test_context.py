import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from mmwsss.datasets.context import (CONTEXT60_CLASSES, WSSSContext60Dataset, context60_lut,
                                     convert_context60, read_context_labels)


def _fixture(root):
    """Real PASCAL-Context formats: labels.txt "<id>: <name>", trainval/<id>.mat with LabelMap."""
    os.makedirs(osp.join(root, 'trainval'))
    os.makedirs(osp.join(root, 'ImageSets', 'Segmentation'))
    os.makedirs(osp.join(root, 'JPEGImages'))
    labels = osp.join(root, 'labels.txt')
    with open(labels, 'w') as f:
        # ids chosen so that an in-place, one-id-at-a-time remap would chain (9 -> 21 -> ...)
        f.write('1: accordion\n2: aeroplane\n9: bag\n18: bed\n21: bell\n22: bench\n23: bicycle\n'
                '59: sky\n60: tvmonitor\n')
        # the other classes of the 59 (the converter needs every one of them)
        listed = ('aeroplane', 'bag', 'bed', 'bench', 'bicycle', 'sky', 'tvmonitor')
        rest = [n for n in CONTEXT60_CLASSES[1:] if n not in listed]
        f.write(''.join(f'{100 + i}: {n}\n' for i, n in enumerate(rest)))
    label_map = np.array([[1, 2, 9], [18, 22, 23], [59, 60, 21]], np.uint16)
    savemat(osp.join(root, 'trainval', 'img1.mat'), {'LabelMap': label_map})
    Image.fromarray(np.zeros((3, 3, 3), np.uint8)).save(osp.join(root, 'JPEGImages', 'img1.jpg'))
    for split in ('train', 'val'):
        with open(osp.join(root, 'ImageSets', 'Segmentation', split + '.txt'), 'w') as f:
            f.write('img1\n')
    return labels


def test_lut_maps_by_name_without_chaining(tmp_path):
    labels_file = _fixture(str(tmp_path))
    labels = read_context_labels(labels_file)
    assert labels[9] == 'bag' and labels[60] == 'tvmonitor'
    lut = context60_lut(labels)
    idx = CONTEXT60_CLASSES.index
    assert lut[9] == idx('bag') == 21 and lut[22] == idx('bench') == 23 and lut[23] == idx('bicycle') == 2
    assert lut[1] == 0 and lut[21] == 0  # accordion, bell: not among the 59 -> background
    assert len(CONTEXT60_CLASSES) == 60 and CONTEXT60_CLASSES[59] == 'wood'


def test_convert_and_load(tmp_path):
    root = str(tmp_path)
    labels_file = _fixture(root)
    assert convert_context60(root, labels_file) == {'train': 1, 'val': 0}  # val reuses the PNG
    out = np.asarray(Image.open(osp.join(root, 'SegmentationClass', 'img1.png')))
    assert out.tolist() == [[0, 1, 21], [22, 23, 2], [50, 20, 0]]
    ds = WSSSContext60Dataset(data_root=root, ann_file='ImageSets/Segmentation/val.txt',
                              pipeline=[dict(type='LoadWSSSImage'), dict(type='LoadWSSSAnnotations'),
                                        dict(type='PackWSSSInputs')])
    assert len(ds.metainfo['classes']) == 60
    sample = ds[0]['data_samples']
    assert sample.gt_sem_seg.data.flatten().tolist() == out.flatten().tolist()
    assert sample.gt_img_labels.nonzero().flatten().tolist() == [0, 1, 2, 20, 21, 22, 23, 50]


def test_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match='labels.txt: PASCAL-Context label list not found'):
        read_context_labels(str(tmp_path / 'labels.txt'))
    (tmp_path / 'bad.txt').write_text('accordion\n')
    with pytest.raises(ValueError, match='bad.txt:1: expected'):
        read_context_labels(str(tmp_path / 'bad.txt'))
    root = str(tmp_path / 'ctx')
    labels_file = _fixture(root)
    savemat(osp.join(root, 'trainval', 'img1.mat'), {'LabelMap': np.array([[500]], np.uint16)})
    with pytest.raises(ValueError, match=r'img1.mat: LabelMap ids 500..500 outside labels.txt'):
        convert_context60(root, labels_file)
