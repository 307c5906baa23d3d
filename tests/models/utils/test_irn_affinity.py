"""IRN path/affinity primitives against IRN's ``PathIndex`` rule (``misc/indexing.py``) and hand-derived cases."""
import numpy as np
import pytest
import torch

from mmwsss.models.utils.irn_affinity import (affinity_labels, dense_affinity, edge_to_affinity, irn_source_mask,
                                              path_offsets)


def test_path_cells_hand_derived():
    paths = {d: set(c) for d, c in path_offsets(5)}
    # (y, x) in the bounding box with (dy*x - dx*y)^2 / (dy^2 + dx^2) < 1, worked out by hand
    assert paths[(1, 1)] == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert paths[(1, 2)] == {(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)}
    assert paths[(2, 3)] == {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3)}
    assert paths[(1, -1)] == {(0, -1), (0, 0), (1, -1), (1, 0)}
    assert paths[(3, 1)] == {(y, x) for y in range(4) for x in range(2)}  # (3x - y)^2 < 10 everywhere
    assert paths[(0, 3)] == {(0, 0), (0, 1), (0, 2), (0, 3)}
    assert paths[(4, 0)] == {(y, 0) for y in range(5)}


def test_path_offsets_directions_and_order():
    offs = path_offsets(5)
    assert len(offs) == 34 and len(path_offsets(10)) == 152  # 0 < dy^2 + dx^2 < r^2, one of each +- pair
    dirs = [d for d, _ in offs]
    assert dirs[:4] == [(0, 1), (0, 2), (0, 3), (0, 4)]  # IRN's order: the row first, then dy = 1..r-1
    for (dy, dx), cells in offs:
        assert dy > 0 or (dy == 0 and dx > 0)
        assert dy * dy + dx * dx < 25
        assert cells[0] == (0, 0) and cells[-1] == (dy, dx)  # sorted by |y| + |x|: source first, destination last
    with pytest.raises(ValueError):
        path_offsets(1)


def test_thin_anti_diagonal_wall_blocks_pairs_and_walk():
    from mmwsss.stages.irn import random_walk
    edge = torch.zeros(8, 8)
    ys, xs = np.indices((8, 8))
    edge[torch.from_numpy(ys + xs == 5)] = 1.0  # 1-cell anti-diagonal boundary
    # the pair (2, 2) -> (3, 3) crosses it without touching it at its end points or at a rounded sample
    # along the segment (only the end points (0, 0), (1, 1) of the offset): a sampled path would give 1.0
    assert edge[2, 2] == 0 and edge[3, 3] == 0
    aff = dense_affinity(edge, radius=5)
    assert aff[2 * 8 + 2, 3 * 8 + 3] == 0.0  # IRN's path holds (2, 3) and (3, 2), both on the wall
    assert aff[0 * 8 + 0, 1 * 8 + 1] == 1.0  # a pair on one side stays connected
    cams = torch.zeros(1, 8, 8)
    cams[0, 0, 0] = 1.0
    rw = random_walk(cams, edge, beta=10.0, exp_times=4, radius=5)
    assert rw[0][torch.from_numpy(ys + xs > 5)].abs().max() == 0.0  # nothing crosses the wall
    assert rw[0].sum() > 0.5


def test_dense_affinity_symmetric_and_matches_edge_to_affinity():
    torch.manual_seed(0)
    edge = torch.rand(5, 6)
    aff = dense_affinity(edge, radius=3)
    assert aff.shape == (30, 30) and aff.dtype == torch.float32
    assert torch.equal(aff, aff.t()) and torch.equal(aff.diagonal(), torch.ones(30))
    pair, valid = edge_to_affinity(edge, radius=3)
    for p, ((dy, dx), cells) in enumerate(path_offsets(3)):
        for y, x in [(1, 1), (2, 3), (0, 4)]:
            if valid[p, y, x]:
                want = 1 - max(edge[y + cy, x + cx] for cy, cx in cells)
                assert aff[y * 6 + x, (y + dy) * 6 + x + dx] == pytest.approx(float(want))
                assert pair[0, p, y, x] == pytest.approx(float(want))
    assert aff[0, 4 * 6 + 5] == 0.0  # beyond the radius
    with pytest.raises(ValueError, match='edge'):
        dense_affinity(torch.zeros(1, 3, 3))


def test_irn_source_mask_and_pair_sources():
    m = irn_source_mask((6, 7), radius=3)  # r - 1 = 2: rows 0..3, columns 2..4
    assert m.sum() == 4 * 3 and m[:4, 2:5].all() and not m[4:].any() and not m[:, :2].any() and not m[:, 5:].any()
    lab = torch.zeros(1, 6, 7, dtype=torch.long)
    bg_irn, _, _ = affinity_labels(lab, radius=3)
    bg_all, _, _ = affinity_labels(lab, radius=3, sources='all')
    assert not bg_irn[0, :, ~m].any() and bg_irn[0, :, m].all()  # every offset of a kept source is inside
    assert bg_all.sum() > bg_irn.sum()
    with pytest.raises(ValueError, match='sources'):
        affinity_labels(lab, radius=3, sources='some')
