"""The benchmark-only LAM variant (benchmarks/lam_variants.py) computes what the package's LAM computes."""
import os.path as osp
import sys

import pytest
import torch

from mmwsss.models.necks.lam import lam_attention, lam_dense

from ..conftest import REPO

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
from lam_variants import lam_blocked  # noqa: E402


@pytest.mark.parametrize('h,w,d,c,block', [(6, 9, 16, 5, 7), (11, 7, 256, 21, 13), (1, 1, 8, 3, 7), (6, 6, 4, 2, 5)])
def test_blocked_equals_dense_with_grads(h, w, d, c, block):
    g = torch.Generator().manual_seed(h * w)
    s = torch.randn(2, c, h, w, generator=g)
    f = torch.randn(2, d, 2 * h, 2 * w, generator=g) * 0.3  # resized to the logit grid
    t = torch.randn(2, c, h, w, generator=g)
    grads = []
    for fn in (lam_dense, lambda s_, f_: lam_blocked(s_, f_, block=block)):
        s_, f_ = s.clone().requires_grad_(), f.clone().requires_grad_()
        out = fn(s_, f_)
        (out * t).sum().backward()
        grads.append((out.detach(), s_.grad, f_.grad))
    for ref, got in zip(grads[0], grads[1]):
        assert got.shape == ref.shape and (got - ref).abs().max() < 1e-5
    assert h * w == 1 or grads[1][2].abs().sum() > 0  # the embedding is trained through LAM (one cell: no)


def test_blocked_constant_logits_and_autocast():
    s = torch.full((1, 3, 9, 9), 2.5)
    f = torch.randn(1, 16, 9, 9)
    assert torch.allclose(lam_blocked(s, f, block=4), s, atol=1e-5)  # the weights are a convex combination
    s, f = torch.randn(1, 3, 10, 10), torch.randn(1, 16, 10, 10)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = lam_blocked(s.bfloat16(), f.bfloat16())
    assert out.dtype == torch.bfloat16 and (out.float() - lam_attention(s, f)).abs().max() < 0.1
