"""Co-segmentation: joint fg/bg masks of a class set, files, resume, quality metric."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmwsss.stages.coseg import CosegParams, cosegment_class, group_by_class, kmeans, mask_quality, run_coseg


def _scene(seed, size=48):
    """A red-ish disc (the shared object) at a jittered centre on a random two-colour background."""
    rng = np.random.default_rng(seed)
    top, bottom = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    img = np.zeros((size, size, 3), np.float64)
    img[:size // 2], img[size // 2:] = top, bottom
    yy, xx = np.mgrid[:size, :size]
    cy, cx = size / 2 + rng.integers(-4, 5), size / 2 + rng.integers(-4, 5)
    r = rng.uniform(0.22, 0.3) * size
    gt = ((yy - cy)**2 + (xx - cx)**2) <= r * r
    img[gt] = (200 + rng.integers(-20, 20), 30, 40)
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8), gt


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


@pytest.mark.parametrize('crf', ['wsscoseg', None])
def test_cosegment_recovers_shared_object(crf):
    scenes = [_scene(s) for s in range(5)]
    probs = cosegment_class([s[0] for s in scenes], CosegParams(crf_preset=crf, iters=2))
    assert len(probs) == 5 and all(p.shape == (48, 48) for p in probs)
    ious = [_iou(p > 0.5, s[1]) for p, s in zip(probs, scenes)]
    assert np.mean(ious) > 0.8, ious


def _run_five(tmp_path, stamp=None):
    img_dir, gt_dir, out = tmp_path / 'img', tmp_path / 'gt', tmp_path / 'out'
    os.makedirs(img_dir), os.makedirs(gt_dir)
    names = []
    for i, cls in enumerate([2, 2, 2, 3, 3]):
        img, gt = _scene(10 + i)
        name = f'{cls}_{i:06d}'
        names.append(name)
        Image.fromarray(img).save(img_dir / f'{name}.jpg', quality=98)
        Image.fromarray((gt * cls).astype(np.uint8)).save(gt_dir / f'{name}.png')
    params = CosegParams(iters=2)
    r = run_coseg(str(img_dir), names, str(out), 4, params, gt_dir=str(gt_dir), progress=False, stamp=stamp)
    assert r['written'] == 5 and r['skipped'] == 0
    return img_dir, gt_dir, out, names, params, r


def test_run_coseg_files_resume_and_quality(tmp_path):
    img_dir, gt_dir, out, names, params, r = _run_five(tmp_path)
    for n in names:
        values = set(np.unique(np.asarray(Image.open(out / f'{n}.png'))).tolist())
        assert values <= {0, int(n.split('_')[0])}
    assert r['quality']['mean_fg_iou'] > 0.75
    stamp = osp.getmtime(out / f'{names[0]}.png')
    os.remove(out / f'{names[4]}.png')  # one class incomplete: only that file is rewritten
    r2 = run_coseg(str(img_dir), names, str(out), 4, params, progress=False)
    assert r2['written'] == 1 and r2['skipped'] == 4
    assert osp.getmtime(out / f'{names[0]}.png') == stamp
    assert not [f for f in os.listdir(out) if f.endswith('.tmp')]


def test_run_coseg_rewrites_a_class_member_identically_and_checks_the_stamp(tmp_path):
    """A missing mask of a class recomputes the class from all its members: the same bytes as the first run."""
    stamp = dict(tool='coseg', params='a')
    img_dir, _, out, names, params, _ = _run_five(tmp_path, stamp)
    first = (out / f'{names[1]}.png').read_bytes()
    os.remove(out / f'{names[1]}.png')
    r = run_coseg(str(img_dir), names, str(out), 4, params, progress=False, stamp=stamp)
    assert r['written'] == 1 and r['skipped'] == 4
    assert (out / f'{names[1]}.png').read_bytes() == first
    with pytest.raises(ValueError, match='another run'):
        run_coseg(str(img_dir), names, str(out), 4, params, progress=False, stamp=dict(stamp, params='b'))


def test_mask_quality_numbers(tmp_path):
    gt = np.zeros((4, 4), np.uint8)
    gt[:, :2] = 1
    gt[0, 3] = 255
    pred = np.zeros((4, 4), np.uint8)
    pred[:, :1] = 1  # half of the object
    os.makedirs(tmp_path / 'p'), os.makedirs(tmp_path / 'g')
    Image.fromarray(pred).save(tmp_path / 'p' / '1_000000.png')
    Image.fromarray(gt).save(tmp_path / 'g' / '1_000000.png')
    q = mask_quality(str(tmp_path / 'p'), str(tmp_path / 'g'), ['1_000000'], 2)
    assert q['mean_fg_iou'] == pytest.approx(0.5)
    # background: GT 7 valid pixels, predicted bg 11 of 15 valid, TP 7 -> IoU 7 / 11
    assert q['iou'][0] == pytest.approx(7 / 11) and q['miou'] == pytest.approx((0.5 + 7 / 11) / 2)
    with pytest.raises(FileNotFoundError, match='2_000000.png'):
        mask_quality(str(tmp_path / 'p'), str(tmp_path / 'g'), ['2_000000'], 2)


def test_grouping_and_kmeans():
    assert group_by_class(['2_000001', '1_000003', '2_000002'], 3) == {1: ['1_000003'], 2: ['2_000001', '2_000002']}
    with pytest.raises(ValueError, match='unknown class id 5'):
        group_by_class(['5_000001'], 3, where='list.txt')
    x = np.concatenate([np.zeros((20, 2)), np.ones((20, 2)) * 5]).astype(np.float32)
    c, a = kmeans(x, 2, np.random.default_rng(0))
    assert sorted(np.round(c[:, 0]).tolist()) == [0.0, 5.0] and len(set(a[:20])) == 1 and a[0] != a[-1]
