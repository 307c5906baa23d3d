"""Mean-field update against hand-computed values, and the torch backends against pydensecrf."""
import math

import numpy as np
import pytest
import torch

from mmwsss.crf import CRF_PRESETS, DenseCRFParams, dense_crf
from mmwsss.crf.pydensecrf_backend import pydensecrf_available
from mmwsss.crf.torch_backend import torch_mean_field

from ._synth import blob_batch

needs_pd = pytest.mark.skipif(not pydensecrf_available(), reason='pydensecrf2 not installed')


def _softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


def test_two_pixel_bilateral_by_hand():
    # Two pixels side by side (1 px apart), 2 classes, bilateral kernel only.
    sxy, srgb, w = 2.0, 10.0, 5.0
    img = np.array([[[100, 50, 0], [110, 50, 0]]], np.uint8)[None]  # (1, 1, 2, 3): colours differ by 10 in R
    probs = np.array([[0.9, 0.3], [0.1, 0.7]], np.float64)  # (C=2, pixels)
    # K = [[1, k], [k, 1]], k = exp(-(1/sxy^2 + 10^2/srgb^2)/2); symmetric norm: D = 1/sqrt(1 + k).
    k = math.exp(-0.5 * (1 / sxy**2 + 100 / srgb**2))
    A = np.array([[1, k], [k, 1]]) / (1 + k)
    q0 = probs.copy()  # softmax(-(-log p)) = p
    expected = q0
    for _ in range(2):
        msg = np.log(probs) + w * expected @ A.T  # (C, P): sum_j A_ij Q_j
        expected = np.stack([_softmax(msg[:, i]) for i in range(2)], 1)
    params = DenseCRFParams(gaussian_weight=0, bilateral_weight=w, bilateral_sxy=sxy, bilateral_srgb=srgb,
                            iterations=2, min_prob=None)
    p = torch.tensor(probs, dtype=torch.float64).reshape(1, 2, 1, 2)
    q = dense_crf(p, img, params, 'torch', torch_method='exact')
    assert q.dtype == torch.float64
    np.testing.assert_allclose(q[0].reshape(2, 2).numpy(), expected, atol=1e-6)
    # The pairwise term pulls pixel 1 (0.3 / 0.7) towards pixel 0's class 0.
    assert q[0, 0, 0, 1] > 0.3


def test_three_pixels_two_kernels_by_hand():
    # A 1x3 row: identical colours at x=0,1, a very different colour at x=2; gaussian + bilateral.
    img = np.array([[[0, 0, 0], [0, 0, 0], [255, 255, 255]]], np.uint8)[None]
    probs = np.array([[0.6, 0.45, 0.2], [0.4, 0.55, 0.8]])
    gw, gs, bw, bs, br, iters = 3.0, 1.0, 10.0, 3.0, 13.0, 3
    pos = np.arange(3.0)
    col = np.array([0.0, 0.0, 255.0])
    dx = pos[:, None] - pos[None]
    dc = col[:, None] - col[None]
    Kg = np.exp(-0.5 * dx**2 / gs**2)
    Kb = np.exp(-0.5 * (dx**2 / bs**2 + 3 * dc**2 / br**2))
    A = np.zeros((3, 3))
    for K, w in ((Kg, gw), (Kb, bw)):
        d = 1 / np.sqrt(K.sum(1))
        A += w * d[:, None] * K * d[None]
    q = probs.copy()
    for _ in range(iters):
        msg = np.log(probs) + q @ A.T
        q = np.stack([_softmax(msg[:, i]) for i in range(3)], 1)
    params = DenseCRFParams(gw, gs, bw, bs, br, iters, 1.0, None)
    out = dense_crf(torch.tensor(probs).reshape(1, 2, 1, 3), img, params, 'torch', torch_method='exact')
    np.testing.assert_allclose(out[0].reshape(2, 3).numpy(), q, atol=1e-6)


@pytest.mark.parametrize('method', ['lattice', 'exact'])
def test_isolated_pixels_get_self_message(method):
    # With tiny spatial stds every pixel is isolated: D K D = I, so Q1 = softmax(log p + (wg + wb) Q0).
    # This holds for the lattice too (a lone point's splat/blur/slice weight cancels in the normalisation).
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (1, 3, 4, 3), dtype=np.uint8)
    probs = torch.softmax(torch.randn(1, 3, 3, 4, dtype=torch.float64), 1)
    params = DenseCRFParams(2.0, 1e-3, 4.0, 1e-3, 13.0, 1, 1.0, None)
    q = dense_crf(probs, img, params, 'torch', torch_method=method)
    expected = torch.softmax(torch.log(probs) + 6.0 * probs, 1)
    torch.testing.assert_close(q, expected, atol=1e-5, rtol=0)


def test_zero_iterations_is_softmax_of_negative_unary():
    img = np.zeros((1, 5, 6, 3), np.uint8)
    unary = torch.randn(1, 4, 5, 6)
    q = dense_crf(None, img, 'sec_test', 'torch', unary=unary.clone(), torch_method='lattice')
    q0 = dense_crf(None, img, CRF_PRESETS['sec_test'].replace(iterations=0), 'torch', unary=unary)
    torch.testing.assert_close(q0, torch.softmax(-unary, 1))
    assert not torch.allclose(q, q0)


@needs_pd
def test_lattice_matches_pydensecrf_sec_train():
    imgs, probs = blob_batch(3, 41, 41, 21, seed=2)
    a = dense_crf(probs, imgs, 'sec_train', 'pydensecrf')
    b = dense_crf(probs, imgs, 'sec_train', 'torch', torch_method='lattice')
    assert (a.argmax(1) == b.argmax(1)).float().mean() >= 0.999
    assert (a - b).abs().mean() < 1e-5


@needs_pd
def test_exact_close_to_pydensecrf_sec_train():
    imgs, probs = blob_batch(3, 41, 41, 21, seed=3)
    a = dense_crf(probs, imgs, 'sec_train', 'pydensecrf')
    b = dense_crf(probs, imgs, 'sec_train', 'torch', torch_method='exact')
    # The exact dense kernel differs from pydensecrf's lattice approximation (docs/crf.md has the numbers).
    assert (a.argmax(1) == b.argmax(1)).float().mean() >= 0.95
    assert (a - b).abs().mean() < 0.01


@needs_pd
@pytest.mark.parametrize('preset', ['sec_test', 'wsscoseg', 'blpseg'])
def test_lattice_matches_pydensecrf_full_resolution_presets(preset):
    imgs, probs = blob_batch(1, 48, 64, 5, seed=4)
    a = dense_crf(probs, imgs, preset, 'pydensecrf')
    b = dense_crf(probs, imgs, preset, 'torch')
    assert (a.argmax(1) == b.argmax(1)).float().mean() >= 0.999
    assert (a - b).abs().mean() < 1e-5


@needs_pd
def test_pydensecrf_backend_equals_direct_call():
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_softmax
    imgs, probs = blob_batch(1, 20, 30, 4, seed=5)
    d = dcrf.DenseCRF2D(30, 20, 4)
    d.setUnaryEnergy(np.ascontiguousarray(unary_from_softmax(probs[0].numpy())))
    d.addPairwiseGaussian(sxy=3, compat=3)
    d.addPairwiseBilateral(sxy=32, srgb=13, rgbim=np.ascontiguousarray(imgs[0]), compat=10)
    ref = np.array(d.inference(1)).reshape(4, 20, 30)
    out = dense_crf(probs, imgs, 'blpseg', 'pydensecrf')[0].numpy()
    np.testing.assert_allclose(out, ref, atol=1e-6)


def test_torch_method_auto_and_bad_method():
    imgs, probs = blob_batch(1, 10, 12, 3)
    a = dense_crf(probs, imgs, 'sec_train', 'torch', torch_method='auto')
    b = dense_crf(probs, imgs, 'sec_train', 'torch', torch_method='exact')
    torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match='method'):
        torch_mean_field(-torch.log(probs), torch.from_numpy(imgs), 3, 3, 10, 80, 13, 2, method='fast')
