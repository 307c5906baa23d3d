"""PILRandomRescale: IRN's training rescale (misc/imutils.py random_scale / pil_rescale, order (3, 0))."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmwsss.datasets.transforms import PILRandomRescale, pil_rescale

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def test_pil_nearest_samples_pixel_centres_hand_derived():
    label = np.arange(16, dtype=np.uint8).reshape(4, 4)
    # PIL nearest at x0.5 samples source pixel floor((i + 0.5) * 2) = 2i + 1 (cv2 INTER_NEAREST: 2i)
    assert pil_rescale(label, 0.5, 0).tolist() == [[5, 7], [13, 15]]
    # size (round(H s), round(W s)), numpy rounding: 5 x 7 at 0.7 -> 4 x 5 (3.5 -> 4, 4.9 -> 5)
    assert pil_rescale(np.zeros((5, 7), np.uint8), 0.7, 0).shape == (4, 5)
    same = np.ones((3, 3), np.uint8)
    assert pil_rescale(same, 1.1, 3) is same  # round(3.3) = 3: untouched, as the original
    with pytest.raises(TypeError, match='uint8'):
        pil_rescale(np.zeros((4, 4), np.float32), 0.5, 3)
    with pytest.raises(ValueError, match='order'):
        pil_rescale(label, 0.5, 1)


def test_transform_draws_one_factor_and_resizes_like_pil():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    seg = rng.integers(0, 4, (37, 53)).astype(np.uint8)
    seg[0, :5] = 255
    np.random.seed(7)
    s = 0.5 + np.random.random() * 1.0  # the factor the transform draws after the same seed
    np.random.seed(7)
    out = PILRandomRescale((0.5, 1.5))(dict(img=img, gt_seg_map=seg, seg_fields=['gt_seg_map'], img_path='x'))
    h, w = int(np.round(37 * s)), int(np.round(53 * s))
    expect_img = np.asarray(Image.fromarray(img).resize((w, h), Image.BICUBIC))
    expect_seg = np.asarray(Image.fromarray(seg).resize((w, h), Image.NEAREST))
    assert out['img'].shape == (h, w, 3) and np.array_equal(out['img'], expect_img)
    assert np.array_equal(out['gt_seg_map'], expect_seg) and out['gt_seg_map'].dtype == np.uint8
    assert set(np.unique(out['gt_seg_map'])) <= {0, 1, 2, 3, 255}  # no interpolated label values
    assert out['img_shape'] == (h, w) and out['scale_factor'] == (w / 53, h / 37)
    with pytest.raises(TypeError, match='x: PILRandomRescale needs the uint8 image'):
        PILRandomRescale()(dict(img=img.astype(np.float32), img_path='x'))
    with pytest.raises(ValueError, match='ratio_range'):
        PILRandomRescale((1.5, 0.5))


@pytest.mark.parametrize('name', ['irn_r50-d16_1xb32-3e_voc12aug-512x512', 'irn_r18-d8_1xb8-300it_synthetic-112x112'])
def test_irn_configs_rescale_like_irn(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'wood', name + '.py'))
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert 'PILRandomRescale' in types and 'RandomResize' not in types
    step = cfg.train_dataloader.dataset.pipeline[types.index('PILRandomRescale')]
    assert tuple(step['ratio_range']) == (0.5, 1.5)
