"""Self-refinement and post-processing on synthetic centre/offset maps (BESTIE utils/utils.py)."""
import numpy as np
import pytest
import torch

from mmwsss.det.models.postprocess import get_instances, to_pred_instances
from mmwsss.det.models.refine import (cluster_peaks, find_instance_center, get_instance_segmentation,
                                      refine_label_generation, refine_label_generation_with_point)
from mmwsss.det.datasets.transforms.bestie_targets import gaussian_patch, render_gaussian

H, W = 64, 96


def _two_touching(cx=(30, 60), cy=32, sigma=6, scale=0.8):
    """Two same-class rectangles sharing a border; perfect centres/offsets."""
    fg = torch.zeros(H, W, dtype=torch.bool)
    fg[16:48, 14:76] = True
    split = (cx[0] + cx[1]) // 2
    heat = np.zeros((H, W), np.float32)
    for x in cx:
        render_gaussian(heat, x, cy, sigma)
    heat *= scale
    ys, xs = torch.meshgrid(torch.arange(H).float(), torch.arange(W).float(), indexing='ij')
    tx = torch.where(xs < split, torch.tensor(float(cx[0])), torch.tensor(float(cx[1])))
    off = torch.stack([cy - ys, tx - xs])
    return fg, torch.from_numpy(heat), off, split


def test_nms_distance_rule_from_addendum():
    for dist, n in [(22, 1), (28, 2)]:
        heat = np.zeros((H, W), np.float32)
        weak = np.zeros((H, W), np.float32)
        render_gaussian(heat, 30, 32, 6)
        render_gaussian(weak, 30 + dist, 32, 6)
        heat = np.maximum(heat, 0.9 * weak)  # the weaker centre sees the stronger's flank in its window
        c = find_instance_center(torch.from_numpy(heat), thr=0.1, nms_kernel=41)
        assert c.shape[0] == n, (dist, c)


def test_two_touching_instances_separated():
    fg, heat, off, split = _two_touching()
    ins, _ = get_instance_segmentation(fg, heat * fg, off, thr=0.1, nms_kernel=41, ignore=True, beta=3)
    ids = [int(v) for v in torch.unique(ins) if v > 0]
    assert len(ids) == 2
    left = ins[32, 20].item()
    right = ins[32, 70].item()
    assert left != right and left > 0 and right > 0
    assert torch.all(ins[fg & (torch.arange(W)[None, :] < split)] == left)
    assert torch.all(ins[fg & (torch.arange(W)[None, :] >= split)] == right)
    assert torch.all(ins[~fg] == 0)


def test_no_centre_ignore_vs_whole_region():
    fg, heat, off, _ = _two_touching()
    zero = torch.zeros_like(heat)
    ins, _ = get_instance_segmentation(fg, zero, off * 0 + 50, 0.1, 41, ignore=True, beta=3)
    assert ins.sum() == 0
    ins, _ = get_instance_segmentation(fg, zero, off * 0 + 50, 0.1, 41, ignore=False, beta=3)
    assert torch.equal(ins > 0, fg)


def test_cluster_peaks_finds_small_discs():
    off = torch.full((2, H, W), 10.0)
    ys, xs = torch.meshgrid(torch.arange(H).float(), torch.arange(W).float(), indexing='ij')
    d = torch.sqrt((ys - 20)**2 + (xs - 20)**2)
    off[:, d < 2.5] = 0.0  # 21-pixel disc
    fg = torch.ones(H, W, dtype=torch.bool)
    assert cluster_peaks(off, fg) == [(20, 20)]
    off[:, :10, 60:80] = 0.0  # 200-px blob: not a centre
    assert cluster_peaks(off, fg) == [(20, 20)]


def test_cluster_peaks_includes_the_complement_like_bestie():
    """BESTIE utils/utils.py cluster_peaks loops over every OpenCV label, component 0 (the pixels outside the
    small-offset blobs) included. On a 7x6 image whose left 3 columns have zero offsets, both the blob and its
    complement have 21 pixels: the original rule returns the complement's truncated centroid first (y 3,
    x mean(3, 4, 5) = 4), then the blob's (3, 1); ``include_complement=False`` returns the blob only."""
    off = torch.full((2, 7, 6), 10.0)
    off[:, :, :3] = 0.0
    fg = torch.ones(7, 6, dtype=torch.bool)
    assert cluster_peaks(off, fg) == [(3, 4), (3, 1)]
    assert cluster_peaks(off, fg, include_complement=False) == [(3, 1)]
    # no blob at all: the original still tests the whole image as component 0 (42 px: outside 21 +- 3; 20 px: inside)
    assert cluster_peaks(off * 0 + 10, fg) == []
    assert cluster_peaks(torch.full((2, 4, 5), 10.0), torch.ones(4, 5, dtype=torch.bool)) == [(1, 2)]
    assert cluster_peaks(torch.full((2, 4, 5), 10.0), torch.ones(4, 5, dtype=torch.bool),
                         include_complement=False) == []


def test_postprocess_scores_labels_masks():
    fg, heat, off, split = _two_touching(scale=0.8)
    prob = torch.zeros(3, H, W)
    prob[0] = 1.0
    prob[0][fg] = 0.2
    prob[2][fg] = 0.8  # class index 1
    center = torch.zeros(2, H, W)
    center[1] = heat
    r = get_instances(prob, center, off)
    assert r['masks'].shape == (2, H, W) and r['masks'].dtype == torch.bool
    assert torch.equal(r['sem_seg'], prob.argmax(0))  # get_ins_map's seg_map
    assert r['labels'].tolist() == [1, 1]
    assert torch.allclose(r['scores'], torch.tensor([0.8 * 0.8, 0.8 * 0.8]))
    assert torch.equal(r['masks'].any(0), fg)
    boxes = to_pred_instances(r).bboxes  # mmdet's mask2bbox: x2 = last column + 1
    assert sorted(boxes[:, 0].tolist()) == [14.0, float(split)]
    assert boxes[:, 3].tolist() == [48.0, 48.0]
    # cleaning with image labels removes the class
    r2 = get_instances(prob, center, off, img_labels=torch.tensor([1.0, 0.0]))
    assert r2['masks'].shape[0] == 0 and r2['scores'].shape == (0,)
    assert (r2['sem_seg'] != 2).all() and r2['sem_seg'].shape == (H, W)  # the cleaned map


def test_refine_label_generation_weights_and_centres():
    fg, heat, off, split = _two_touching(scale=0.9)
    b_seg = torch.zeros(1, 3, H, W)
    b_seg[0, 2][fg] = 5.0
    center = torch.zeros(1, 2, H, W)
    center[0, 1] = heat
    wsss = torch.zeros(1, H, W, dtype=torch.long)
    wsss[0][fg] = 2
    labels = torch.tensor([[0.0, 1.0]])
    r = refine_label_generation(b_seg, center, off[None], labels, wsss)
    p = torch.softmax(torch.tensor([0.0, 0.0, 5.0]), 0)[2].item()
    assert torch.allclose(r['weight'][0, 0][fg], torch.full((int(fg.sum()),), 0.9 * p), atol=1e-5)
    assert r['weight'][0, 0][~fg].sum() == 0
    assert r['center'][0, 1, 32, 30] == pytest.approx(1.0) and r['center'][0, 1, 32, 60] == pytest.approx(1.0)
    assert r['center'][0, 0].sum() == 0
    assert torch.allclose(r['offset'][0], off * fg)
    # absent class → no refined labels
    r0 = refine_label_generation(b_seg, center, off[None], torch.tensor([[1.0, 0.0]]), wsss)
    assert r0['weight'].sum() == 0


def test_refine_skips_components_with_more_than_five_instances():
    fg = torch.zeros(H, W, dtype=torch.bool)
    fg[10:60, 0:96] = True
    heat = np.zeros((H, W), np.float32)
    for x in range(5, 96, 15):  # 7 centres, NMS kernel 5 keeps all
        render_gaussian(heat, x, 30, 2)
    center = torch.zeros(1, 1, H, W)
    center[0, 0] = torch.from_numpy(heat)
    wsss = torch.zeros(1, H, W, dtype=torch.long)
    wsss[0][fg] = 1
    r = refine_label_generation(torch.zeros(1, 2, H, W), center, torch.zeros(1, 2, H, W), torch.ones(1, 1), wsss,
                                nms_kernel=5)
    assert r['weight'].sum() == 0
    r = refine_label_generation(torch.zeros(1, 2, H, W), center, torch.zeros(1, 2, H, W), torch.ones(1, 1), wsss,
                                nms_kernel=5, max_inst=10)
    assert r['weight'].sum() > 0


def test_point_refinement_groups_to_gt_points():
    fg, _, off, split = _two_touching()
    wsss = torch.zeros(1, H, W, dtype=torch.long)
    wsss[0][fg] = 1
    pts = [[np.array([[32, 30], [32, 60]])]]
    r = refine_label_generation_with_point(off[None], pts, torch.ones(1, 1), wsss)
    assert torch.equal(r['weight'][0, 0] > 0, fg)
    assert torch.allclose(r['offset'][0], off * fg)


def test_point_refinement_drops_points_on_row_or_column_0_like_bestie():
    """BESTIE utils/utils.py refine_label_generation_with_point keeps only points with y != 0 and x != 0 (its point
    tensor is zero-padded): a point at (0, 30) is ignored and the whole region goes to (32, 60).
    ``drop_points_on_zero_border=False`` groups to both points."""
    fg, _, off, split = _two_touching()
    wsss = torch.zeros(1, H, W, dtype=torch.long)
    wsss[0][fg] = 1
    ys, xs = torch.meshgrid(torch.arange(H).float(), torch.arange(W).float(), indexing='ij')
    # offsets of the left instance point at (0, 30): the point on row 0 is the nearest for the left half
    off_left = torch.stack([0 - ys, 30 - xs])
    off = torch.where(xs < split, off_left, off)
    pts = [[np.array([[0, 30], [32, 60]])]]
    r = refine_label_generation_with_point(off[None], pts, torch.ones(1, 1), wsss)
    assert torch.equal(r['weight'][0, 0] > 0, fg)
    one = torch.stack([32 - ys, 60 - xs]) * fg
    assert torch.allclose(r['offset'][0], one)
    r = refine_label_generation_with_point(off[None], pts, torch.ones(1, 1), wsss, drop_points_on_zero_border=False)
    assert torch.equal(r['weight'][0, 0] > 0, fg)
    assert torch.allclose(r['offset'][0], off * fg)
    # a point on column 0 alone: nothing to group to under the original rule
    r = refine_label_generation_with_point(off[None], [[np.array([[32, 0]])]], torch.ones(1, 1), wsss)
    assert r['weight'].sum() == 0
    r = refine_label_generation_with_point(off[None], [[np.array([[32, 0]])]], torch.ones(1, 1), wsss,
                                           drop_points_on_zero_border=False)
    assert torch.equal(r['weight'][0, 0] > 0, fg)
