"""The torch permutohedral lattice: Gaussian approximation, batch isolation, linear memory."""
import numpy as np
import pytest
import torch

from mmwsss.crf.permutohedral import PermutohedralLattice


def _points(n, d, seed=0, spread=4.0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g) * spread


@pytest.mark.parametrize('d', [2, 5])
def test_approximates_gaussian_filter(d):
    f = _points(400, d, spread=3.0)
    v = torch.rand(400, 3, generator=torch.Generator().manual_seed(1))
    out = PermutohedralLattice(f).apply(v)
    K = torch.exp(-0.5 * torch.cdist(f.double(), f.double())**2).float()
    exact = K @ v
    # The lattice output equals the Gaussian filter up to a global scale and a ~20% blur-shape error
    # (pydensecrf's approximation; the symmetric normalisation of the CRF removes the scale).
    scale = (out * exact).sum() / (exact * exact).sum()
    assert 0.3 < float(scale) < 1.5
    assert float((out - scale * exact).norm() / out.norm()) < 0.25
    # The filter is linear and symmetric: <u, L v> = <L u, v>.
    lat = PermutohedralLattice(f)
    u = torch.rand(400, 3, generator=torch.Generator().manual_seed(2))
    assert torch.allclose((u * lat.apply(v)).sum(), (lat.apply(u) * v).sum(), rtol=1e-4)


def test_batch_index_separates_images():
    f1, f2 = _points(200, 5, seed=3), _points(150, 5, seed=4)
    v1, v2 = torch.rand(200, 4), torch.rand(150, 4)
    joint = PermutohedralLattice(torch.cat([f1, f2]), torch.cat([torch.zeros(200), torch.ones(150)]).long())
    out = joint.apply(torch.cat([v1, v2]))
    torch.testing.assert_close(out[:200], PermutohedralLattice(f1).apply(v1), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[200:], PermutohedralLattice(f2).apply(v2), atol=1e-5, rtol=1e-5)


def test_memory_is_linear_in_points():
    # Nothing of size P x P: the operators hold O(P (d+1)) entries (5000 points -> P^2 would be 25e6).
    f = _points(5000, 5, seed=5, spread=20.0)
    lat = PermutohedralLattice(f)
    entries = lat.splat.values().numel() + lat.slice.values().numel() + sum(b.values().numel() for b in lat.blur)
    assert lat.num_vertices <= 5000 * 6
    assert entries <= 2 * 5000 * 6 + 6 * 3 * lat.num_vertices
    assert lat.apply(torch.ones(5000, 2)).shape == (5000, 2)


def test_bad_input():
    with pytest.raises(ValueError, match=r'\(P, d\)'):
        PermutohedralLattice(torch.rand(10))
    lat = PermutohedralLattice(torch.rand(10, 2))
    with pytest.raises(ValueError, match='expected 10 rows'):
        lat.apply(torch.rand(9, 1))
    with pytest.raises(ValueError, match='too large'):
        PermutohedralLattice(torch.tensor([[0.0] * 5, [1e7] * 5]))


def test_composed_kernel_equals_chain():
    from mmwsss.crf.permutohedral import LatticeKernel
    # SEC's smoothness kernel on its 41x41 grid (sxy 3 / scale 12) composes into a tiny matrix; a wide
    # kernel stays a chain because its composition would have more entries than the chain.
    for sxy, composes in ((0.25, True), (3.0, False)):
        ys, xs = torch.meshgrid(torch.arange(41.0), torch.arange(41.0), indexing='ij')
        f = torch.stack([xs, ys], -1).reshape(-1, 2) / sxy
        chain, comp = LatticeKernel(PermutohedralLattice(f), 3.0), LatticeKernel(PermutohedralLattice(f), 3.0)
        assert comp.compose() is composes
        x = torch.rand(41 * 41, 5, generator=torch.Generator().manual_seed(0))
        a = chain.apply(x, torch.empty_like(x))
        b = comp.apply(x, torch.empty_like(x))
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
        # accumulate adds to what is there
        torch.testing.assert_close(comp.apply(x, a.clone(), accumulate=True), 2 * a, atol=1e-5, rtol=1e-5)


def test_far_apart_points_do_not_interact():
    # blur steps only link the vertices of each point's own simplex: the filter is diagonal
    f = torch.arange(20.0).view(10, 2) * 50
    lat = PermutohedralLattice(f)
    assert sum(b.values().numel() for b in lat.blur) <= 10 * 3 * 2
    out = lat.apply(torch.eye(10))
    torch.testing.assert_close(out, torch.diag(torch.diagonal(out)))


def test_message_shared_kernel_equals_batch_kernel():
    from mmwsss.crf.permutohedral import LatticeKernel, LatticeMessage
    # a kernel over one image's pixels filtering the (P, B C) view equals a kernel over the batch's points
    P, B, C = 60, 3, 4
    pos = torch.rand(P, 2, generator=torch.Generator().manual_seed(1)) * 5
    q = torch.rand(P, B, C, generator=torch.Generator().manual_seed(2))
    shared = LatticeMessage([LatticeKernel(PermutohedralLattice(pos), 2.0)]).apply(q)
    batch_pos = pos.repeat_interleave(B, 0)  # pixel-major: row p * B + b
    batch = LatticeKernel(PermutohedralLattice(batch_pos, torch.arange(B).repeat(P)), 2.0)
    torch.testing.assert_close(LatticeMessage([batch]).apply(q), shared, atol=1e-5, rtol=1e-5)
