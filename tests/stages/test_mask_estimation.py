"""Mask estimation (wsscoseg est_voc_train_masks.py): multi-scale summed probabilities, label filtering, PNG files, resume, mIoU."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from mmwsss.stages.mask_estimation import estimate_mask, estimate_masks, estimate_probs


class _Pre(nn.Module):
    _enable_normalize = False
    channel_conversion = True  # mmseg's name for bgr_to_rgb: the model sees RGB


class ColourModel(nn.Module):
    """Output-stride-8 'network': class logits from the mean colour of each 8x8 cell (R -> 1, G -> 2, B -> 3),
    background where the cell is dark. Records the input sizes it saw."""

    num_classes = 4

    def __init__(self):
        super().__init__()
        self.data_preprocessor = _Pre()
        self.w = nn.Parameter(torch.zeros(1))
        self.seen = []

    def lowres_logits(self, x):
        self.seen.append(tuple(x.shape[-2:]))
        assert x.shape[-2] % 8 == 0 and x.shape[-1] % 8 == 0  # padded to a multiple of 8
        cell = F.avg_pool2d(x, 8) / 255.0  # (1, 3, h, w), RGB
        bg = 0.3 - cell.max(1, keepdim=True)[0]
        return torch.cat([bg, cell], 1) * 20


def _image():
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, 20:40, 0] = 250  # red band -> class 1
    img[:, 40:, 2] = 250  # blue band -> class 3
    return img


def test_probs_sum_over_scales_and_label_filter():
    m = ColourModel()
    m.test_cfg = dict(upsample='resize')
    p = estimate_probs(m, _image(), (0.7, 1.0, 1.3))
    assert p.shape == (4, 40, 60)
    assert np.allclose(p.sum(0), 3.0, atol=1e-4)  # three scales summed, not averaged
    # the original's x2 deconvolutions (the default) zero-pad: lower sums near the border only
    m.test_cfg = dict(upsample='deconv')
    d = estimate_probs(m, _image(), (0.7, 1.0, 1.3))
    assert d.sum(0).min() < 2.9 and np.allclose(d.sum(0)[12:-12, 12:-12], 3.0, atol=1e-4)
    m.test_cfg = dict(upsample='resize')
    assert sorted(set(m.seen)) == sorted({(32, 48), (40, 64), (56, 80)})  # 28x42 / 40x60 / 52x78 padded
    full = estimate_mask(p, [0, 2])
    assert full[20, 5] == 0 and full[20, 30] == 1 and full[20, 55] == 3
    only_red = estimate_mask(p, [0])  # blue is absent: zeroed, background (kept) wins there
    assert only_red[20, 55] == 0 and only_red[20, 30] == 1
    with pytest.raises(ValueError, match='outside'):
        estimate_mask(p, [3])


def test_estimate_masks_files_resume_miou(tmp_path):
    img_dir, gt_dir, out = tmp_path / 'JPEGImages', tmp_path / 'gt', tmp_path / 'masks'
    os.makedirs(img_dir), os.makedirs(gt_dir)
    gt = np.zeros((40, 60), np.uint8)
    gt[:, 20:40], gt[:, 40:] = 1, 3
    gt[0, 0] = 255
    for name in ('a', 'b'):
        Image.fromarray(_image()).save(img_dir / f'{name}.png')
        Image.fromarray(gt).save(gt_dir / f'{name}.png')
    labels = {'a': [0, 2], 'b': [0]}
    r = estimate_masks(ColourModel(), ['a', 'b'], str(img_dir), labels, str(out), gt_dir=str(gt_dir),
                       img_suffix='.png', progress=False)
    assert r['written'] == 2 and r['skipped'] == 0
    a = np.asarray(Image.open(out / 'a.png'))
    b = np.asarray(Image.open(out / 'b.png'))
    assert (a == gt)[gt != 255].mean() > 0.9  # stride-8 cells blur the band edges
    assert set(np.unique(b).tolist()) <= {0, 1}  # class 3 absent from b's labels
    # b misses class 3 entirely: its IoU is 20x40 / (2 x 20x40 + 20x40 wrong bg) -> about 0.5
    assert r['iou'][3] == pytest.approx(0.5, abs=0.05) and 0.6 < r['miou'] < 0.95
    stamp = osp.getmtime(out / 'a.png')
    r2 = estimate_masks(ColourModel(), ['a', 'b'], str(img_dir), labels, str(out), img_suffix='.png', progress=False)
    assert r2['written'] == 0 and r2['skipped'] == 2 and osp.getmtime(out / 'a.png') == stamp
    with pytest.raises(ValueError, match='no image-level labels'):
        estimate_masks(ColourModel(), ['c'], str(img_dir), labels, str(out), progress=False)
    with pytest.raises(FileNotFoundError, match='c.png'):
        estimate_masks(ColourModel(), ['c'], str(img_dir), {'c': []}, str(out), img_suffix='.png', progress=False)
