"""Semantic knowledge transfer targets (BESTIE ``utils/utils.py``) on hand-built maps."""
import numpy as np
import pytest

from mmwsss.det.datasets.transforms.bestie_targets import (gaussian_patch, generate_oracle_targets, generate_pseudo_targets,
                                       render_gaussian)


def _disc(h, w, cy, cx, r):
    ys, xs = np.mgrid[0:h, 0:w]
    return (ys - cy)**2 + (xs - cx)**2 <= r * r


def test_gaussian_patch_shape_and_peak():
    g = gaussian_patch(6)
    assert g.shape == (39, 39)
    assert g[19, 19] == pytest.approx(1.0)
    assert g[19, 25] == pytest.approx(np.exp(-0.5), rel=1e-5)  # one sigma away


def test_gaussian_kernel_float64_maps_float32_bit_exact_with_bestie():
    """BESTIE builds g in float64 (``np.arange(0, size, 1, float)``) and max-merges it into a float32 map."""
    sigma = 6
    size = 6 * sigma + 3
    x = np.arange(0, size, 1, float)
    g64 = np.exp(-((x - 3 * sigma - 1)**2 + (x[:, None] - 3 * sigma - 1)**2) / (2 * sigma**2))  # utils.gaussian
    ref = np.zeros((2, 60, 50), np.float32)
    ref[1, 0:39, 3:42] = np.maximum(ref[1, 0:39, 3:42], g64)  # center_map_gen at (x=22, y=19): float32 store
    ref[1, 10:49, 0:39] = np.maximum(ref[1, 10:49, 0:39], g64)  # (x=19, y=29)
    heat = np.zeros((60, 50), np.float32)
    render_gaussian(heat, 22, 19, sigma)
    render_gaussian(heat, 19, 29, sigma)
    assert heat.dtype == np.float32
    np.testing.assert_array_equal(heat, ref[1])  # bit-exact, not just close
    assert gaussian_patch(sigma).dtype == np.float32
    np.testing.assert_array_equal(gaussian_patch(sigma), g64.astype(np.float32))


def test_render_gaussian_clip_and_max_merge():
    heat = np.zeros((20, 30), np.float32)
    render_gaussian(heat, 0, 0, 2)
    assert heat[0, 0] == pytest.approx(1.0) and heat.shape == (20, 30)
    render_gaussian(heat, 100, 5, 2)  # outside: skipped
    before = heat.copy()
    render_gaussian(heat, 3, 0, 2)
    assert np.all(heat >= before) and heat[0, 3] == pytest.approx(1.0)


def test_one_peak_component_gets_centroid_gaussian_offsets_weight():
    seg = np.zeros((64, 64), np.uint8)
    seg[10:30, 12:40] = 2  # class index 1 (fg), centroid (x=25.5, y=19.5) → (25, 19)
    pts = [[14, 12, 1, 0.9]]  # the peak is not at the centroid
    t = generate_pseudo_targets(seg, pts, num_classes=3, img_labels=[1])
    assert t['center'].shape == (3, 64, 64) and t['offset'].shape == (2, 64, 64)
    assert t['center'][1].max() == pytest.approx(1.0)
    y, x = np.unravel_index(t['center'][1].argmax(), (64, 64))
    assert (x, y) == (25, 19)
    assert t['center'][0].max() == 0 and t['center'][2].max() == 0
    comp = seg == 2
    assert np.all(t['weight'][0][comp] == 1) and np.all(t['weight'][0][~comp] == 0)
    assert t['offset'][0, 10, 12] == 19 - 10 and t['offset'][1, 10, 12] == 25 - 12
    assert t['offset'][0, 29, 39] == 19 - 29 and t['offset'][1, 29, 39] == 25 - 39


def test_two_peaks_rejected_small_ignored_unlabelled_ignored():
    seg = np.zeros((80, 80), np.uint8)
    m = _disc(80, 80, 20, 20, 8) | _disc(80, 80, 20, 32, 8)  # one blob, two peaks
    seg[m] = 1
    seg[60:66, 60:66] = 1  # 36 px < 50 → ignored even with a peak
    seg[50:70, 5:25] = 2  # class 1, not in the image labels
    pts = np.array([[20, 20, 0, 1.0], [32, 20, 0, 1.0], [62, 62, 0, 1.0], [15, 60, 1, 1.0]])
    t = generate_pseudo_targets(seg, pts, num_classes=2, img_labels=[0])
    assert t['weight'].sum() == 0
    assert t['center'].max() == 0
    # with the second class labelled, only its component is accepted
    t2 = generate_pseudo_targets(seg, pts, num_classes=2, img_labels=np.array([1, 1, 1], np.float32))
    assert t2['weight'][0].sum() == 400 and t2['center'][1].max() == pytest.approx(1.0)


def test_diagonal_touch_is_one_component():
    seg = np.zeros((40, 40), np.uint8)
    seg[0:10, 0:10] = 1
    seg[10:20, 10:20] = 1  # touches only diagonally → 8-connected: one component, two peaks
    t = generate_pseudo_targets(seg, [[5, 5, 0, 1], [15, 15, 0, 1]], num_classes=1, img_labels=[0])
    assert t['weight'].sum() == 0


def test_point_variant_draws_every_point():
    seg = np.zeros((80, 80), np.uint8)
    seg[_disc(80, 80, 20, 20, 8) | _disc(80, 80, 20, 32, 8)] = 1
    seg[50:70, 50:70] = 1
    pts = [[20, 20, 0, 1.0], [32, 20, 0, 1.0], [55, 52, 0, 1.0]]
    t = generate_pseudo_targets(seg, pts, num_classes=1, img_labels=[0], sup='point')
    assert t['center'][0, 20, 20] == pytest.approx(1) and t['center'][0, 20, 32] == pytest.approx(1)
    assert t['center'][0, 52, 55] == pytest.approx(1)
    # offsets/weight only on the single-point square; they point to its centroid (59, 59)
    assert t['weight'][0].sum() == 400
    assert t['offset'][0, 50, 50] == 9 and t['offset'][1, 50, 50] == 9


def test_oracle_targets_and_errors():
    inst = np.zeros((50, 50), np.uint8)
    inst[5:15, 5:15] = 1
    inst[20:40, 20:30] = 2
    inst[0, :] = 255
    sem = np.zeros_like(inst)
    sem[inst == 1] = 1
    sem[inst == 2] = 2
    t = generate_oracle_targets(inst, sem, num_classes=2)
    assert t['weight'][0].sum() == 300
    assert np.unravel_index(t['center'][1].argmax(), (50, 50)) == (29, 24)
    with pytest.raises(ValueError, match='shape'):
        generate_oracle_targets(inst, sem[:10], num_classes=2)
    with pytest.raises(ValueError, match='points'):
        generate_pseudo_targets(sem, np.zeros((2, 5)), num_classes=2)
