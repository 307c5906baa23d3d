"""LAM (BLPSeg lib/net/blpseg.py, local_aggregation): the linear-memory attention version equals the dense reference."""
import math

import pytest
import torch

from mmwsss.models.necks.lam import BLPPatchEmbed, LocalAggregationModule, grid_coordinates, lam_attention, lam_dense

FAST = [lam_attention]


def _closed_form(s, f, sigma):
    """Independent closed form: W = softmax_a(f_a.f_b - |p_a - p_b|^2 / 2 sigma^2), out = s W (float64)."""
    n, c, h, w = s.shape
    p = grid_coordinates(h, w, dtype=torch.float64)
    d2 = ((p[:, None, :] - p[None, :, :]) ** 2).sum(-1)
    ff = torch.einsum('nda,ndb->nab', f.flatten(2).double(), f.flatten(2).double())
    weight = (ff - d2 / (2 * sigma ** 2)).softmax(dim=1)
    return torch.einsum('nca,nab->ncb', s.flatten(2).double(), weight).reshape(n, c, h, w)


@pytest.mark.parametrize('h,w,d,c,sigma', [(6, 9, 16, 5, 6.0), (11, 7, 256, 21, 2.5), (1, 1, 8, 3, 6.0)])
def test_attention_equals_dense_and_closed_form(h, w, d, c, sigma):
    g = torch.Generator().manual_seed(h * w)
    s = torch.randn(2, c, h, w, generator=g)
    f = torch.randn(2, d, h, w, generator=g) * 0.4
    ref = _closed_form(s, f, sigma)
    dense = lam_dense(s.double(), f.double(), sigma)
    assert torch.allclose(dense, ref, atol=1e-6)
    for fn in FAST:
        fast = fn(s, f, sigma)
        assert fast.shape == s.shape and fast.dtype == torch.float32
        assert (fast.double() - ref).abs().max().item() < 1e-5


def test_gradients_match_dense():
    g = torch.Generator().manual_seed(1)
    s = torch.randn(2, 4, 8, 10, generator=g)
    f = torch.randn(2, 32, 8, 10, generator=g) * 0.3
    t = torch.randn(2, 4, 8, 10, generator=g)
    grads = []
    for fn in [lam_dense] + FAST:
        s_, f_ = s.clone().requires_grad_(), f.clone().requires_grad_()
        (fn(s_, f_, 6.0) * t).sum().backward()
        grads.append((s_.grad, f_.grad))
    for k in range(1, len(grads)):
        assert torch.allclose(grads[0][0], grads[k][0], atol=1e-5)
        assert torch.allclose(grads[0][1], grads[k][1], atol=1e-5)
        assert grads[k][1].abs().sum() > 0  # the embedding is trained through LAM


def test_weights_are_a_convex_combination():
    # constant logits stay constant (W columns sum to 1); with f = 0 a delta spreads as a Gaussian
    s = torch.full((1, 3, 9, 9), 2.5)
    f = torch.randn(1, 16, 9, 9)
    for fn in FAST:
        assert torch.allclose(fn(s, f), s, atol=1e-5)
    delta = torch.zeros(1, 1, 9, 9)
    delta[0, 0, 4, 4] = 1.0
    out = lam_attention(delta, torch.zeros(1, 8, 9, 9), sigma=2.0)[0, 0]
    # out[b] = G(center, b) / sum_a G(a, b); the ratio of two neighbours of the centre cancels the sums
    # only approximately, so check the numerator directly against the dense formula
    p = grid_coordinates(9, 9, dtype=torch.float64)
    gauss = torch.exp(-torch.cdist(p, p) ** 2 / 8.0)
    expect = (gauss[4 * 9 + 4] / gauss.sum(0)).reshape(9, 9)
    assert torch.allclose(out.double(), expect, atol=1e-6)
    assert out[4, 4] > out[4, 6] > out[4, 8] > 0


def test_feature_resize_and_errors():
    s = torch.randn(1, 2, 6, 6)
    f = torch.randn(1, 4, 12, 12)
    assert torch.allclose(lam_attention(s, f), lam_dense(s, f), atol=1e-5)
    with pytest.raises(ValueError, match='batch sizes differ'):
        lam_attention(s, torch.randn(2, 4, 6, 6))
    with pytest.raises(ValueError, match='expects logits'):
        lam_dense(s[0], f)


def test_fp32_under_autocast():
    s = torch.randn(1, 3, 10, 10)
    f = torch.randn(1, 16, 10, 10)
    ref = lam_attention(s, f)
    for fn in FAST:
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = fn(s.bfloat16(), f.bfloat16())
        assert out.dtype == torch.bfloat16
        assert torch.allclose(out.float(), fn(s.bfloat16().float(), f.bfloat16().float()), atol=2e-2)
        assert (out.float() - ref).abs().max() < 0.1


def test_patch_embed_shapes():
    emb = BLPPatchEmbed(3, 24, 4)
    assert emb(torch.randn(2, 3, 30, 34)).shape == (2, 24, 8, 9)  # zero-padded to 32 x 36
    assert emb(torch.randn(1, 3, 16, 16)).shape == (1, 24, 4, 4)


def test_module_dense_vs_attention_and_grads():
    torch.manual_seed(0)
    mod = LocalAggregationModule(embed_dims=16, sigma=6.0)
    ref = LocalAggregationModule(embed_dims=16, sigma=6.0, impl='dense')
    ref.load_state_dict(mod.state_dict())
    assert mod.impl == 'linear'
    img = torch.randn(2, 3, 40, 36)
    logits = torch.randn(2, 5, 10, 9, requires_grad=True)
    out = mod(logits, img)
    assert out.shape == logits.shape
    assert torch.allclose(out, ref(logits, img), atol=1e-4)
    out.square().sum().backward()
    assert mod.embed.proj.weight.grad is not None and mod.embed.proj.weight.grad.abs().sum() > 0
    assert len(mod.state_dict()) == len(list(mod.embed.state_dict()))  # no N x N buffer in checkpoints
    with pytest.raises(ValueError, match='impl'):
        LocalAggregationModule(impl='windowed')
    with pytest.raises(ValueError, match='sigma'):
        LocalAggregationModule(sigma=0)


@pytest.mark.parametrize('size', [(40, 36), (37, 30)])  # the second is zero-padded to a multiple of 4
def test_factorized_embedding_is_exact(size):
    torch.manual_seed(3)
    emb = BLPPatchEmbed(3, 64, 4).double()
    for p in emb.parameters():  # non-default LayerNorm affine and biases
        torch.nn.init.normal_(p, std=0.5)
    img = torch.randn(2, 3, *size, dtype=torch.float64)
    z, proj, bias = emb.factorize(img)
    assert emb.factor_rank == 49 and z.shape[1] == 49 and proj.shape == (64, 49) and bias.shape == (64, )
    f = torch.einsum('dr,nrhw->ndhw', proj, z) + bias[None, :, None, None]
    assert torch.allclose(f, emb(img), atol=1e-10)


def test_factored_lam_equals_dense_with_grads():
    # float64 end to end: module output and every gradient (logits and embedding weights) agree to ~1e-10
    torch.manual_seed(4)
    mod = LocalAggregationModule(embed_dims=64, sigma=3.0).double()  # 64 > rank 49: factored path
    with torch.no_grad():
        mod.embed.out.weight.mul_(0.1)  # unsaturated softmax, so the embedding gradients are not ~0
    ref = LocalAggregationModule(embed_dims=64, sigma=3.0, impl='dense').double()
    ref.load_state_dict(mod.state_dict())
    img = torch.randn(2, 3, 50, 46, dtype=torch.float64)
    s = torch.randn(2, 5, 13, 12, dtype=torch.float64, requires_grad=True)  # embedding 13x12: no resize
    outs, grads = [], []
    for m in (ref, mod):
        out = m(s, img)
        outs.append(out)
        grads.append(torch.autograd.grad(out.square().sum(), [s] + list(m.parameters())))
    # the dense reference renormalises with + 1e-7 (the original): agreement to ~1e-6, not 1e-12
    assert (outs[0] - outs[1]).abs().max() < 1e-6
    for g_ref, g in zip(grads[0], grads[1]):
        assert g.abs().max() > 0
        assert (g_ref - g).abs().max() <= 1e-5 * g_ref.abs().max()
    # float32: same result within the goal of the benchmark
    mod32 = mod.float()
    assert (mod32(s.float(), img.float()).double() - outs[0]).abs().max() < 1e-4


def test_factored_input_checks():
    s = torch.randn(1, 3, 4, 4)
    with pytest.raises(ValueError, match='proj'):
        lam_attention(s, (torch.randn(1, 5, 4, 4), torch.randn(8, 6), torch.randn(8)))


def test_registered():
    from mmseg.registry import MODELS

    import mmwsss.seg  # noqa: F401
    mod = MODELS.build(dict(type='LocalAggregationModule', embed_dims=8, sigma=3.0))
    assert isinstance(mod, LocalAggregationModule) and math.isclose(mod.sigma, 3.0)
