"""Input validation, presets, batch consistency, dtype/device handling and the label/test-time helpers."""
import numpy as np
import pytest
import torch

from mmwsss.crf import (CRF_PRESETS, DenseCRFParams, crf_postprocess, crf_refine_labels, dense_crf, get_crf_params,
                        resolve_backend, unary_from_labels)
from mmwsss.crf.pydensecrf_backend import pydensecrf_available

from ._synth import blob_batch

needs_pd = pytest.mark.skipif(not pydensecrf_available(), reason='pydensecrf2 not installed')


@pytest.fixture
def batch():
    return blob_batch(2, 12, 16, 4, seed=7)


# ---------------------------------------------------------------------------------------------- validation
def test_probs_not_summing_to_one(batch):
    imgs, probs = batch
    with pytest.raises(ValueError, match='sum to 1'):
        dense_crf(probs * 0.9, imgs, 'sec_test', 'torch')
    # multi-scale sums (wsscoseg) must be divided by the number of scales
    with pytest.raises(ValueError, match='in \\[0, 1\\]|sum to 1'):
        dense_crf(probs * 3, imgs, 'wsscoseg', 'torch')


def test_nan_and_inf(batch):
    imgs, probs = batch
    p = probs.clone()
    p[0, 1, 2, 3] = float('nan')
    with pytest.raises(ValueError, match='NaN'):
        dense_crf(p, imgs, 'sec_test', 'torch')
    u = -torch.log(probs)
    u[1, 0, 0, 0] = float('inf')
    with pytest.raises(ValueError, match='inf'):
        dense_crf(None, imgs, 'sec_test', 'torch', unary=u)


def test_size_mismatch(batch):
    imgs, probs = batch
    with pytest.raises(ValueError, match='size mismatch'):
        dense_crf(probs, imgs[:, :, :15], 'sec_test', 'torch')
    with pytest.raises(ValueError, match='batch size mismatch'):
        dense_crf(probs, imgs[:1], 'sec_test', 'torch')
    with pytest.raises(ValueError, match='size mismatch'):
        crf_postprocess(probs[0], imgs[0, :11], name='2007_000032.jpg')


def test_wrong_dtypes(batch):
    imgs, probs = batch
    with pytest.raises(ValueError, match='uint8'):
        dense_crf(probs, imgs.astype(np.float32), 'sec_test', 'torch')
    with pytest.raises(ValueError, match='floating'):
        dense_crf((probs > 0.5).to(torch.int64), imgs, 'sec_test', 'torch')
    with pytest.raises(ValueError, match='torch.Tensor or numpy'):
        dense_crf(probs.tolist(), imgs, 'sec_test', 'torch')


def test_wrong_ndim_and_names(batch):
    imgs, probs = batch
    with pytest.raises(ValueError, match='4-D'):
        dense_crf(probs[0], imgs, 'sec_test', 'torch')
    with pytest.raises(ValueError, match=r'\(N, H, W, 3\)'):
        dense_crf(probs, imgs[..., :2], 'sec_test', 'torch')
    with pytest.raises(ValueError, match=r'^img_42\.jpg: probs must be 3-D'):
        crf_postprocess(probs, imgs[0], name='img_42.jpg')
    with pytest.raises(ValueError, match='exactly one'):
        dense_crf(probs, imgs, 'sec_test', 'torch', unary=-torch.log(probs))


def test_exact_refuses_full_resolution():
    probs = torch.full((1, 2, 375, 500), 0.5)
    with pytest.raises(ValueError, match="use torch_method='lattice'"):
        dense_crf(probs, np.zeros((1, 375, 500, 3), np.uint8), 'sec_test', 'torch', torch_method='exact')


def test_bad_params():
    with pytest.raises(ValueError, match='unknown CRF preset'):
        get_crf_params('sec')
    with pytest.raises(ValueError, match='bilateral_sxy'):
        DenseCRFParams(bilateral_sxy=0)
    with pytest.raises(ValueError, match='iterations'):
        DenseCRFParams(iterations=-1)
    with pytest.raises(ValueError, match='backend'):
        resolve_backend('cuda', torch.device('cpu'), 10)
    assert get_crf_params({'preset': 'sec_test', 'iterations': 3}).iterations == 3
    with pytest.raises(ValueError, match='bad CRF parameters'):
        get_crf_params({'sigma': 3})


# -------------------------------------------------------------------------------------------------- presets
def test_presets_values():
    sec = CRF_PRESETS['sec_train']
    assert sec.kernel == pytest.approx((3.0, 0.25, 10.0, 80 / 12, 13.0))
    assert sec.iterations == 10 and sec.min_prob is None
    assert CRF_PRESETS['sec_test'].kernel == (3.0, 3.0, 10.0, 80.0, 13.0)
    assert CRF_PRESETS['sec_test'].min_prob == 1e-5
    assert CRF_PRESETS['wsscoseg'].kernel == (3.0, 2.0, 4.0, 55.0, 3.0)
    assert CRF_PRESETS['blpseg'].kernel == (3.0, 3.0, 10.0, 32.0, 13.0) and CRF_PRESETS['blpseg'].iterations == 1
    irn = CRF_PRESETS['irn']
    assert irn.kernel == (3.0, 3.0, 10.0, 50.0, 5.0) and irn.iterations == 10 and irn.gt_prob == 0.7
    assert CRF_PRESETS['deeplab_v2'].kernel == (3.0, 1.0, 4.0, 67.0, 3.0)


def test_sec_train_logits_and_softmax_give_same_q():
    # SEC pylayers/pylayers.py, CRFLayer and ConstrainLossLayer: -logits and -log softmax(logits) differ by a per-pixel
    # constant -> identical Q.
    imgs, _ = blob_batch(2, 20, 24, 5, seed=8)
    logits = torch.randn(2, 5, 20, 24) * 3
    a = dense_crf(None, imgs, 'sec_train', 'torch', unary=-logits, torch_method='exact')
    b = dense_crf(torch.softmax(logits, 1), imgs, 'sec_train', 'torch', torch_method='exact')
    torch.testing.assert_close(a, b, atol=2e-5, rtol=0)


# --------------------------------------------------------------------------------------- batch/dtype/device
@pytest.mark.parametrize('backend,method', [('torch', 'lattice'), ('torch', 'exact'),
                                            pytest.param('pydensecrf', None, marks=needs_pd)])
def test_batch_equals_per_image(backend, method):
    imgs, probs = blob_batch(3, 20, 24, 6, seed=9)
    kw = {'torch_method': method} if method else {}
    full = dense_crf(probs, imgs, 'sec_train', backend, **kw)
    for i in range(3):
        one = dense_crf(probs[i:i + 1], imgs[i:i + 1], 'sec_train', backend, **kw)
        torch.testing.assert_close(full[i:i + 1], one, atol=1e-6, rtol=0)
    assert full.shape == probs.shape
    torch.testing.assert_close(full.sum(1), torch.ones(3, 20, 24), atol=1e-5, rtol=0)


@needs_pd
def test_pydensecrf_process_pool_equals_serial():
    imgs, probs = blob_batch(4, 41, 41, 6, seed=10)
    a = dense_crf(probs, imgs, 'sec_train', 'pydensecrf', workers=1)
    b = dense_crf(probs, imgs, 'sec_train', 'pydensecrf', workers=2)
    torch.testing.assert_close(a, b, atol=0, rtol=0)


@pytest.mark.parametrize('dtype', [torch.float16, torch.float32, torch.float64])
def test_dtype_follows_input(dtype):
    imgs, probs = blob_batch(1, 9, 11, 3, seed=11)
    q = dense_crf(probs.to(dtype), torch.from_numpy(imgs), 'sec_test', 'torch')
    assert q.dtype == dtype and q.device == probs.device
    ref = dense_crf(probs, imgs, 'sec_test', 'torch')
    torch.testing.assert_close(q.float(), ref, atol=2e-3 if dtype == torch.float16 else 1e-6, rtol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device')
def test_cuda_matches_cpu():
    imgs, probs = blob_batch(2, 41, 41, 6, seed=12)
    for method in ('lattice', 'exact'):
        q = dense_crf(probs.cuda(), torch.from_numpy(imgs).cuda(), 'sec_train', 'auto', torch_method=method)
        assert q.is_cuda
        torch.testing.assert_close(q.cpu(), dense_crf(probs, imgs, 'sec_train', 'torch', torch_method=method),
                                   atol=1e-4, rtol=0)


def test_auto_backend_choice():
    expected = 'pydensecrf' if pydensecrf_available() else 'torch'
    assert resolve_backend('auto', torch.device('cpu'), 41 * 41) == expected
    assert resolve_backend('auto', torch.device('cuda', 0), 41 * 41) == 'torch'


# ------------------------------------------------------------------------------------------------- helpers
def test_crf_postprocess_types_and_effect():
    imgs, probs = blob_batch(1, 30, 40, 3, seed=13)
    q_np = crf_postprocess(probs[0].numpy(), imgs[0], 'sec_test', backend='torch')
    assert isinstance(q_np, np.ndarray) and q_np.shape == (3, 30, 40) and q_np.dtype == np.float32
    q_t = crf_postprocess(probs[0], torch.from_numpy(imgs[0]), 'sec_test', backend='torch')
    assert isinstance(q_t, torch.Tensor)
    np.testing.assert_allclose(q_np, q_t.numpy(), atol=1e-6)
    # The CRF cleans the noisy argmax: fewer label changes between horizontal neighbours.
    def edges(lab):
        return int((lab[:, 1:] != lab[:, :-1]).sum())
    assert edges(q_np.argmax(0)) < edges(probs[0].numpy().argmax(0))


def test_unary_from_labels_matches_formula_and_pydensecrf():
    lab = np.array([[0, 1], [2, 1]])
    U = unary_from_labels(lab, 3, gt_prob=0.7)
    assert U.shape == (1, 3, 2, 2)
    np.testing.assert_allclose(U[0, :, 0, 0].numpy(), [-np.log(0.7), -np.log(0.15), -np.log(0.15)], rtol=1e-6)
    if pydensecrf_available():
        from pydensecrf.utils import unary_from_labels as pd_ufl
        for zu in (False, True):
            ref = pd_ufl(lab, 3 + zu, gt_prob=0.7, zero_unsure=zu).reshape(3 + zu, 2, 2)
            np.testing.assert_allclose(unary_from_labels(lab, 3 + zu, 0.7, zu)[0].numpy(), ref, rtol=1e-6)
    with pytest.raises(ValueError, match=r'labels must lie in \[0, 2\]'):
        unary_from_labels(np.array([[0, 255]]), 3, name='cam_0001.npy')
    with pytest.raises(ValueError, match='integer'):
        unary_from_labels(np.zeros((2, 2), np.float32), 3)


def test_crf_refine_labels_cleans_noise():
    rng = np.random.default_rng(14)
    img = np.zeros((24, 24, 3), np.uint8)
    img[:, 12:] = 200
    truth = np.zeros((24, 24), np.int64)
    truth[:, 12:] = 1
    noisy = truth.copy()
    flip = rng.random(truth.shape) < 0.15
    noisy[flip] = 1 - noisy[flip]
    q = crf_refine_labels(noisy, img, 2, 'irn', backend='torch')
    assert isinstance(q, np.ndarray) and q.shape == (2, 24, 24)
    assert (q.argmax(0) == truth).mean() > 0.99 > (noisy == truth).mean()
