"""Shared fixtures: small datasets written in the real on-disk formats."""
import os
import os.path as osp
import socket

import numpy as np
import pytest
from PIL import Image

from mmwsss.utils import apply_patches

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
apply_patches()  # the test process opts in to the stack compatibility patches, as the tools do


def write_voc_fixture(root, ids=('a', 'b', 'c'), size=(24, 32), num_classes=21, seed=0, scribbles=False):
    """Write a tiny dataset in the VOC layout (JPEG images, palette PNG masks, splits, cls file)."""
    from mmwsss.datasets.voc_aug import voc_palette
    rng = np.random.default_rng(seed)
    h, w = size
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation', 'Scribbles'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    cls_lines = []
    for i, img_id in enumerate(ids):
        img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
        Image.fromarray(img).save(osp.join(root, 'JPEGImages', img_id + '.jpg'))
        mask = np.zeros((h, w), np.uint8)
        c = 1 + (i % (num_classes - 1))
        mask[4:14, 6:20] = c
        mask[3, 6:20] = 255
        m = Image.fromarray(mask, mode='P')
        m.putpalette(voc_palette())
        m.save(osp.join(root, 'SegmentationClass', img_id + '.png'))
        cls_lines.append(f'{img_id} {c - 1}')
        if scribbles:
            scr = np.full((h, w), 255, np.uint8)
            scr[8, 8:16] = c
            scr[20, 2:30] = 0
            Image.fromarray(scr).save(osp.join(root, 'Scribbles', img_id + '.png'))
    with open(osp.join(root, 'ImageSets/Segmentation/train.txt'), 'w') as f:
        f.write('\n'.join(ids) + '\n')
    with open(osp.join(root, 'ImageSets/Segmentation/train_cls.txt'), 'w') as f:
        f.write('\n'.join(cls_lines) + '\n')
    return root


@pytest.fixture(autouse=True)
def _default_scope(request):
    """Every test runs in the scope its side registers into: mmdet under tests/det, else mmseg.

    Tests build components by type name, and the runner/tools set the scope from the config; without
    this, a test would see whatever scope an earlier test left behind.
    """
    from mmengine.registry import DefaultScope
    scope = 'mmdet' if f'{os.sep}tests{os.sep}det{os.sep}' in str(request.fspath) else 'mmseg'
    with DefaultScope.overwrite_default_scope(scope):
        yield


@pytest.fixture
def voc_root(tmp_path):
    return write_voc_fixture(str(tmp_path / 'VOC2012'), scribbles=True)


@pytest.fixture(scope='session')
def tiny_synthetic(tmp_path_factory):
    """A small embedded dataset (same generator as the default one, fewer and smaller images)."""
    from mmwsss.datasets.synthetic import generate_synthetic_dataset
    root = str(tmp_path_factory.mktemp('synth') / 'synthetic')
    generate_synthetic_dataset(root, seed=0, image_size=64, num_train=16, num_val=6,
                               num_web_per_class=2, num_ood=4)
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write_tiny_config(path, data_root, max_iters=4, ckpt_interval=2, batch_size=2,
                      base='configs/fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py'):
    """A config inheriting a real one, shrunk to a few iterations on ``data_root``."""
    text = f'''
_base_ = [{osp.join(REPO, base)!r}]
crop_size = (48, 48)
train_dataloader = dict(batch_size={batch_size}, dataset=dict(data_root={data_root!r}, generate=False,
    pipeline=[dict(type='LoadWSSSImage'), dict(type='LoadWSSSAnnotations'),
              dict(type='RandomCrop', crop_size=crop_size), dict(type='RandomFlip', prob=0.5),
              dict(type='PackWSSSInputs')]))
val_dataloader = dict(dataset=dict(data_root={data_root!r}, generate=False))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval={max_iters})
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end={max_iters}, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval={ckpt_interval}, max_keep_ckpts=100))
'''
    with open(path, 'w') as f:
        f.write(text)
    return str(path)
