"""VOC instance AP (chainercv rules, BESTIE main.py) on hand-made predictions with known AP."""
import numpy as np
import pytest
from PIL import Image

from mmwsss.det.evaluation.voc_instance_ap import (accumulate_ap, load_voc_instance_gt, mask_iou, match_image,
                                                   voc_ap)


def _box(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_mask_iou():
    a = _box(10, 10, 0, 10, 0, 5)[None]
    b = np.stack([_box(10, 10, 0, 10, 0, 10), _box(10, 10, 0, 10, 5, 10)])
    assert np.allclose(mask_iou(a, b), [[0.5, 0.0]])


def test_known_ap_and_iou_thresholds():
    g1, g2 = _box(40, 40, 0, 10, 0, 10), _box(40, 40, 20, 30, 20, 30)
    p_partial = _box(40, 40, 20, 30, 20, 28)  # IoU 0.8 with g2
    p_fp = _box(40, 40, 0, 10, 30, 40)
    preds = np.stack([g1, p_fp, p_partial])
    r = match_image(preds, [0, 0, 0], [0.9, 0.8, 0.7], np.stack([g1, g2]), [0, 0], [0.5, 0.85])
    assert r['match'][0.5][0] == [1, 0, 1]
    assert r['match'][0.85][0] == [1, 0, 0]
    ap50 = accumulate_ap([r], 0.5)
    assert ap50[0] == pytest.approx(0.5 * 1.0 + 0.5 * (2 / 3))
    ap85 = accumulate_ap([r], 0.85)
    assert ap85[0] == pytest.approx(0.5)


def test_duplicates_wrong_class_and_nan_classes():
    g = _box(20, 20, 0, 10, 0, 10)
    preds = np.stack([g, g, g])
    r = match_image(preds, [0, 0, 2], [0.9, 0.95, 0.5], g[None], [0], [0.5])
    assert r['match'][0.5][0] == [1, 0]  # sorted by score: the 0.95 one matches, the 0.9 duplicate is FP
    assert r['match'][0.5][2] == [0]
    ap = accumulate_ap([r], 0.5, num_classes=4)
    assert ap[0] == pytest.approx(1.0)
    assert np.isnan(ap[1]) and np.isnan(ap[2]) and np.isnan(ap[3])  # no GT → NaN, left out of the mean
    # a class with GT but no prediction has AP 0
    r2 = match_image(np.zeros((0, 20, 20), bool), [], [], g[None], [1], [0.5])
    assert accumulate_ap([r, r2], 0.5, num_classes=2)[1] == 0.0


def test_across_images_and_07_metric():
    g = _box(10, 10, 0, 5, 0, 5)
    r1 = match_image(g[None], [0], [0.3], g[None], [0], [0.5])
    r2 = match_image(g[None], [0], [0.6], np.zeros((0, 10, 10), bool), [], [0.5])
    ap = accumulate_ap([r1, r2], 0.5)
    assert ap[0] == pytest.approx(0.5)  # FP ranked first, then TP: precision 1/2 at recall 1
    assert voc_ap(np.array([0.0, 0.5]), np.array([0.0, 1.0]), use_07_metric=True) == pytest.approx(0.5)


def test_load_gt_from_pngs(tmp_path):
    inst = np.zeros((12, 12), np.uint8)
    inst[1:5, 1:5] = 1
    inst[6:11, 6:11] = 2
    inst[5, :] = 255
    sem = np.zeros_like(inst)
    sem[inst == 1] = 3
    sem[inst == 2] = 1
    sem[5, :] = 255
    Image.fromarray(inst).save(tmp_path / 'o.png')
    Image.fromarray(sem).save(tmp_path / 'c.png')
    masks, labels = load_voc_instance_gt(str(tmp_path / 'o.png'), str(tmp_path / 'c.png'))
    assert masks.shape == (2, 12, 12) and labels.tolist() == [2, 0]
    assert masks[0].sum() == 16
    with pytest.raises(FileNotFoundError, match='missing.png'):
        load_voc_instance_gt(str(tmp_path / 'missing.png'), str(tmp_path / 'c.png'))
