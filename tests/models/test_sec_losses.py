"""SEC losses (SEC `pylayers/pylayers/pylayers.py`) against hand-computed values on tiny inputs."""
import math

import numpy as np
import pytest
import torch

from mmwsss.models.losses.sec_losses import (SECConstrainLoss, SECExpandLoss, SECSeedLoss, crf_target, gwrp,
                                             sec_constrain_loss, sec_expand_loss, sec_seed_loss, sec_softmax)


def _probs(values):
    """(C, H, W) nested list -> (1, C, H, W) float64 tensor."""
    return torch.tensor(values, dtype=torch.float64)[None]


def test_sec_softmax_floor_and_values():
    z = torch.tensor([[0.0, 0.0, 0.0]], dtype=torch.float64).view(1, 3, 1, 1)
    f = sec_softmax(z)
    assert torch.allclose(f, torch.full_like(f, 1 / 3))
    # a hugely dominant logit: the other classes keep exactly min_prob / (1 + C*min_prob)
    z = torch.tensor([100.0, -100.0, -100.0], dtype=torch.float64).view(1, 3, 1, 1)
    f = sec_softmax(z)
    floor = 1e-4 / (1 + 3e-4)
    assert f[0, 1, 0, 0].item() == pytest.approx(floor, rel=1e-9)
    assert f.sum().item() == pytest.approx(1.0)


def test_gwrp_hand_value_and_limits():
    x = torch.tensor([1.0, 3.0, 2.0], dtype=torch.float64).view(1, 1, 1, 3)
    # sorted desc (3, 2, 1), weights (1, .5, .25) / 1.75
    assert gwrp(x, 0.5).item() == pytest.approx((3 + 1 + 0.25) / 1.75)
    torch.manual_seed(0)
    p = torch.rand(2, 3, 5, 4, dtype=torch.float64)
    mx = p.flatten(2).max(-1).values
    avg = p.flatten(2).mean(-1)
    assert torch.allclose(gwrp(p, 0.0), mx)
    assert torch.allclose(gwrp(p, 1e-8), mx, atol=1e-7)
    assert torch.allclose(gwrp(p, 1.0), avg)
    assert torch.allclose(gwrp(p, 1 - 1e-9), avg, atol=1e-7)
    # monotone between the two limits
    mid = gwrp(p, 0.9)
    assert bool(((mid <= mx + 1e-12) & (mid >= avg - 1e-12)).all())
    with pytest.raises(ValueError, match='decay'):
        gwrp(p, 1.5)


def test_gwrp_spec_weight_mass():
    # SEC ExpandLossLayer: with n = 1681, d = 0.996 gives Z ~ 249.7, top 10.3% carry 50% of the weight
    n = 1681
    w = 0.996**np.arange(n)
    assert w.sum() == pytest.approx(249.7, abs=0.1)
    assert w[:int(0.103 * n)].sum() / w.sum() == pytest.approx(0.5, abs=0.01)


def test_gwrp_gradient_goes_to_sorted_values():
    x = torch.tensor([1.0, 3.0, 2.0], dtype=torch.float64, requires_grad=True)
    gwrp(x.view(1, 1, 3), 0.5).backward()
    assert torch.allclose(x.grad, torch.tensor([0.25, 1.0, 0.5], dtype=torch.float64) / 1.75)


def test_seed_loss_hand_value():
    # C = 2, 1x2 grid; bg cue at pixel 0, fg cue at pixel 1
    p = _probs([[[0.8, 0.3]], [[0.2, 0.7]]])
    cues = _probs([[[1, 0]], [[0, 1]]])
    assert sec_seed_loss(p, cues).item() == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2)
    # one normaliser per image (all cue pixels together), batch mean over images
    cues2 = _probs([[[1, 1]], [[0, 0]]])
    both = sec_seed_loss(torch.cat([p, p]), torch.cat([cues, cues2]))
    expected = (-(math.log(0.8) + math.log(0.7)) / 2 - (math.log(0.8) + math.log(0.3)) / 2) / 2
    assert both.item() == pytest.approx(expected)


def test_seed_loss_no_cue_is_finite():
    p = sec_softmax(torch.randn(2, 3, 4, 4, requires_grad=True))
    cues = torch.zeros(2, 3, 4, 4)
    cues[0, 0, 0, 0] = 1
    loss = sec_seed_loss(p, cues)
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(-math.log(p[0, 0, 0, 0].item()) / 2, rel=1e-5)
    assert sec_seed_loss(p, torch.zeros_like(cues)).item() == 0.0


def test_expand_loss_hand_value():
    # C = 3 (bg, a, b), n = 2 pixels; class a present, class b absent
    p = _probs([[[0.5, 0.6]], [[0.4, 0.1]], [[0.1, 0.3]]])
    labels = torch.tensor([[1.0, 1.0, 0.0]], dtype=torch.float64)
    d_fg, d_bg = 0.5, 0.8
    g_a = (0.4 + d_fg * 0.1) / (1 + d_fg)
    g_bg = (0.6 + d_bg * 0.5) / (1 + d_bg)
    expected = -math.log(g_a) - math.log(1 - 0.3) - math.log(g_bg)
    got = sec_expand_loss(p, labels, d_fg=d_fg, d_bg=d_bg)
    assert got.item() == pytest.approx(expected)
    # foreground-only labels give the same result
    assert sec_expand_loss(p, labels[:, 1:], d_fg=d_fg, d_bg=d_bg).item() == pytest.approx(expected)
    # ablations: max / avg replace the pooling of present classes and background
    exp_max = -math.log(0.4) - math.log(0.7) - math.log(0.6)
    exp_avg = -math.log(0.25) - math.log(0.7) - math.log(0.55)
    assert sec_expand_loss(p, labels, pooling='max').item() == pytest.approx(exp_max)
    assert sec_expand_loss(p, labels, pooling='avg').item() == pytest.approx(exp_avg)
    with pytest.raises(ValueError, match='img_labels'):
        sec_expand_loss(p, torch.ones(1, 5))


@pytest.mark.parametrize('labels', [[1, 1, 1, 1], [1, 0, 0, 0], [0, 0, 0, 0]])
def test_expand_loss_edge_cases_finite(labels):
    """All classes present (|A| = 0), no present fg class (|T| = 0): finite loss and gradients."""
    z = torch.randn(2, 4, 3, 3, requires_grad=True)
    lab = torch.tensor([labels, labels], dtype=torch.float32)
    loss = sec_expand_loss(sec_softmax(z), lab)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()


def test_expand_loss_empty_terms_are_skipped_not_zeroed():
    p = _probs([[[0.5, 0.6]], [[0.4, 0.1]], [[0.1, 0.3]]])
    all_present = torch.tensor([[1.0, 1.0, 1.0]], dtype=torch.float64)
    g_a = gwrp(p[:, 1:2], 0.996).item()
    g_b = gwrp(p[:, 2:3], 0.996).item()
    g_bg = gwrp(p[:, :1], 0.999).item()
    expected = -(math.log(g_a) + math.log(g_b)) / 2 - math.log(g_bg)
    assert sec_expand_loss(p, all_present).item() == pytest.approx(expected)
    # a batch where only one image has an absent class: that term is averaged over that image only
    mixed = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]], dtype=torch.float64)
    two = sec_expand_loss(torch.cat([p, p]), mixed)
    exp_two = (-(math.log(g_a) + math.log(g_b)) / 2 - math.log(g_a)) / 2 - math.log(1 - 0.3) - math.log(g_bg)
    assert two.item() == pytest.approx(exp_two)


def test_constrain_loss_hand_value_and_no_grad_into_target():
    f = _probs([[[0.5, 0.9]], [[0.5, 0.1]]]).requires_grad_(True)
    q = _probs([[[0.7, 1.0]], [[0.3, 0.0]]]).requires_grad_(True)
    expected = (0.7 * math.log(0.7 / 0.5) + 0.3 * math.log(0.3 / 0.5) + 1.0 * math.log(1.0 / 0.9)) / 2
    loss = sec_constrain_loss(f, q)
    assert loss.item() == pytest.approx(expected)
    loss.backward()
    assert q.grad is None and f.grad is not None
    # KL is zero when f == Q
    assert sec_constrain_loss(f.detach(), f.detach()).item() == pytest.approx(0.0, abs=1e-12)


class _FakeCRF:
    """Records the inputs; returns a fixed Q with a value below the floor."""

    def __init__(self):
        self.calls = []

    def __call__(self, unary, images, params):
        self.calls.append((unary.clone(), images.clone(), params))
        q = torch.zeros_like(unary)
        q[:, 0] = 1.0
        return q


def test_crf_target_floor_renormalise_and_inputs():
    logits = torch.randn(2, 3, 4, 5, requires_grad=True)
    images = torch.randint(0, 256, (2, 4, 5, 3), dtype=torch.uint8)
    fake = _FakeCRF()
    q = crf_target(logits, images, crf_fn=fake, params='sec_train')
    unary, imgs, params = fake.calls[0]
    assert params == 'sec_train'
    assert torch.equal(unary, -logits.detach())  # SEC's unary: -logit
    assert torch.equal(imgs, images)
    assert not q.requires_grad
    lo = 1e-4 / (1 + 2e-4)
    assert torch.allclose(q[:, 1], torch.full_like(q[:, 1], lo))
    assert torch.allclose(q.sum(1), torch.ones_like(q[:, 0]))
    with pytest.raises(ValueError, match='images'):
        crf_target(logits, images[:, :3], crf_fn=fake)


def test_constrain_module_with_patched_crf(monkeypatch):
    fake = _FakeCRF()
    loss_mod = SECConstrainLoss()
    monkeypatch.setattr(loss_mod, '_crf', lambda p, i, params: fake(p, i, params))
    logits = torch.randn(1, 3, 4, 4, requires_grad=True)
    images = torch.randint(0, 256, (1, 4, 4, 3), dtype=torch.uint8)
    probs = sec_softmax(logits)
    loss = loss_mod(probs, logits, images)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()
    assert loss_mod.loss_name == 'loss_constrain'
    # the gradient pushes probability towards the target's class 0
    assert (logits.grad[:, 0] < 0).all()


def test_constrain_with_real_crf_if_available():
    crf = pytest.importorskip('mmwsss.crf')
    if not hasattr(crf, 'dense_crf'):
        pytest.skip('mmwsss.crf.dense_crf not available yet')
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 9, 9)
    images = torch.zeros(2, 9, 9, 3, dtype=torch.uint8)
    images[:, :, 5:] = 200  # two colour regions
    q = crf_target(logits, images, params='sec_train')
    assert q.shape == logits.shape
    assert torch.allclose(q.sum(1), torch.ones(2, 9, 9), atol=1e-5)
    assert (q >= 1e-4 / (1 + 3e-4) - 1e-7).all()
    loss = SECConstrainLoss()(sec_softmax(logits), logits, images)
    assert torch.isfinite(loss) and loss.item() >= 0


def test_registered_modules_forward():
    p = _probs([[[0.8, 0.3]], [[0.2, 0.7]]])
    cues = _probs([[[1, 0]], [[0, 1]]])
    assert SECSeedLoss(loss_weight=2.0)(p, cues).item() == pytest.approx(-(math.log(0.8) + math.log(0.7)))
    lab = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    assert SECExpandLoss(pooling='max')(p, lab).item() == pytest.approx(-math.log(0.7) - math.log(0.8))
    with pytest.raises(ValueError, match='pooling'):
        SECExpandLoss(pooling='median')
    from mmseg.registry import MODELS
    import mmwsss.models.losses.sec_losses  # noqa: F401
    assert MODELS.get('SECExpandLoss') is SECExpandLoss


def _tiny_segmentor(losses, crf=None):
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules

    import mmwsss.models  # noqa: F401
    register_all_modules(init_default_scope=True)
    return MODELS.build(dict(
        type='SECSegmentor',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[100.0] * 3, std=[50.0] * 3, bgr_to_rgb=True,
                               size=(33, 33)),
        backbone=dict(type='VGG16LargeFOV', with_fc=False, out_indices=(2, )),
        decode_head=dict(type='SECHead', in_channels=256, channels=8, num_convs=1, num_classes=3,
                         dropout_ratio=0.0, align_corners=True, loss_decode=losses),
        test_cfg=dict(mode='whole', crf=crf)))


def _samples(n, size, grid):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    out = []
    for i in range(n):
        s = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size, img_path=f'img{i}.jpg'))
        cues = torch.zeros(3, *size, dtype=torch.long)
        cues[0, :4] = 1  # top rows background
        cues[1 + i % 2, -6:, -6:] = 1
        s.gt_cues = PixelData(data=cues)
        lab = torch.tensor([1.0, 1.0, 0.0]) if i % 2 == 0 else torch.tensor([1.0, 0.0, 1.0])
        s.set_data({'gt_img_labels': lab})
        out.append(s)
    return out


def test_sec_segmentor_loss_on_low_res_logits(monkeypatch):
    seen = {}

    def fake_crf(self, unary, images, params):
        seen['unary'], seen['images'] = unary.shape, images
        return torch.softmax(-unary, 1)

    monkeypatch.setattr(SECConstrainLoss, '_crf', fake_crf)
    model = _tiny_segmentor([dict(type='SECSeedLoss'), dict(type='SECExpandLoss'), dict(type='SECConstrainLoss')])
    model.init_weights()
    torch.manual_seed(0)
    bgr = torch.tensor([10, 100, 200], dtype=torch.uint8)  # as mmcv loads: B, G, R
    imgs = [bgr.view(3, 1, 1).expand(3, 33, 33).clone() for _ in range(2)]
    data = model.data_preprocessor(dict(inputs=imgs, data_samples=_samples(2, (33, 33), 5)), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'decode.loss_seed', 'decode.loss_expand', 'decode.loss_constrain'}
    assert seen['unary'] == (2, 3, 5, 5)  # 33 -> 5 at output stride 8: no upsampling
    assert seen['images'].dtype == torch.uint8 and seen['images'].shape == (2, 5, 5, 3)
    # un-normalised and in SEC's BGR blob order, whatever the preprocessor's channel order
    assert seen['images'][0, 0, 0].tolist() == [10, 100, 200]
    assert (seen['images'] == seen['images'][0, 0, 0]).all()
    total = sum(losses.values())
    total.backward()
    assert torch.isfinite(total)
    assert model.decode_head.conv_seg.weight.grad.abs().sum() > 0


def test_sec_segmentor_predict_upsamples_to_original_and_flips():
    model = _tiny_segmentor([dict(type='SECSeedLoss')]).eval()
    x = torch.randn(1, 3, 33, 33)
    from mmseg.structures import SegDataSample
    s = SegDataSample(metainfo=dict(img_shape=(33, 33), ori_shape=(50, 40), img_path='x.jpg'))
    (out, ) = model.predict(x, [s])
    assert out.pred_sem_seg.data.shape == (1, 50, 40)
    probs = out.seg_logits.data.exp()
    assert torch.allclose(probs.sum(0), torch.ones(50, 40), atol=1e-5)
    with torch.no_grad():
        logits = model.decode_head(model.extract_feat(x))[0]
    # corner-aligned: the corners of the upsampled map equal the corner cells' softmax (SEC deploy/demo.py)
    assert torch.allclose(probs[:, 0, 0], logits.softmax(0)[:, 0, 0], atol=1e-5)
    s2 = SegDataSample(metainfo=dict(img_shape=(33, 33), ori_shape=(50, 40), img_path='x.jpg', flip=True,
                                     flip_direction='horizontal'))
    (out2, ) = model.predict(x, [s2])
    assert torch.allclose(out2.seg_logits.data, out.seg_logits.data.flip(-1), atol=1e-5)


def test_sec_segmentor_predict_with_crf(tmp_path):
    pytest.importorskip('mmwsss.crf')
    import cv2
    path = str(tmp_path / 'img.png')
    img = np.zeros((24, 20, 3), dtype=np.uint8)
    img[:, 10:] = 255
    cv2.imwrite(path, img)
    model = _tiny_segmentor([dict(type='SECSeedLoss')], crf='sec_test').eval()
    from mmseg.structures import SegDataSample
    s = SegDataSample(metainfo=dict(img_shape=(33, 33), ori_shape=(24, 20), img_path=path))
    (out, ) = model.predict(torch.randn(1, 3, 33, 33), [s])
    assert out.pred_sem_seg.data.shape == (1, 24, 20)
    assert torch.allclose(out.seg_logits.data.exp().sum(0), torch.ones(24, 20), atol=1e-4)
    s_bad = SegDataSample(metainfo=dict(img_shape=(33, 33), ori_shape=(24, 20), img_path=str(tmp_path / 'no.png')))
    with pytest.raises(FileNotFoundError, match='no.png'):
        model.predict(torch.randn(1, 3, 33, 33), [s_bad])


@pytest.mark.parametrize('bgr_to_rgb', [True, False])
def test_images_for_crf_is_secs_bgr_zoom(bgr_to_rgb):
    """SEC's CRFLayer: blob (BGR, mean-subtracted) -> zoom(order=1) to 41x41 -> + mean -> round, BGR kept."""
    scipy_ndimage = pytest.importorskip('scipy.ndimage')
    from mmseg.models.data_preprocessor import SegDataPreProcessor

    from mmwsss.models.segmentors.sec import images_for_crf
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (3, 81, 81), dtype=np.uint8)  # as loaded by mmcv
    pre = SegDataPreProcessor(mean=[104.0, 117.0, 123.0], std=[1.0, 1.0, 1.0], bgr_to_rgb=bgr_to_rgb)
    x = pre(dict(inputs=[torch.from_numpy(bgr)]), False)['inputs']
    got = images_for_crf(x, pre, (11, 11))[0].numpy()
    blob = bgr.astype(np.float32) - np.array([104.0, 117.0, 123.0], np.float32)[:, None, None]
    zoomed = scipy_ndimage.zoom(blob, (1.0, 11 / 81, 11 / 81), order=1) + np.array([104.0, 117.0, 123.0])[:, None,
                                                                                                            None]
    ref = np.round(zoomed).transpose(1, 2, 0)
    assert np.abs(got.astype(np.float64) - ref).max() <= 1  # float32 interpolation vs float64: at most 1 level
    assert (got == ref).mean() > 0.95


def test_sec_training_crf_matches_pydensecrf_in_bgr_order():
    """Q of the constrain loss == pydensecrf fed as SEC's wrapper feeds it (BGR image, -logits, scale 12)."""
    dcrf = pytest.importorskip('pydensecrf.densecrf')
    rng = np.random.default_rng(1)
    n, c, h, w = 2, 4, 41, 41
    logits = torch.from_numpy(rng.normal(0, 2, (n, c, h, w)).astype(np.float32))
    base = rng.integers(0, 256, (n, 6, 6, 3)).astype(np.float32)
    smooth = torch.nn.functional.interpolate(torch.from_numpy(base).permute(0, 3, 1, 2), size=(h, w),
                                             mode='bilinear', align_corners=True)
    bgr = (smooth.permute(0, 2, 3, 1).numpy() + rng.normal(0, 6, (n, h, w, 3))).round().clip(0, 255).astype(np.uint8)
    q = crf_target(logits, torch.from_numpy(bgr), params='sec_train', min_prob=1e-4)
    for i in range(n):
        d = dcrf.DenseCRF2D(w, h, c)
        d.setUnaryEnergy(np.ascontiguousarray(-logits[i].numpy().reshape(c, -1)))
        d.addPairwiseGaussian(sxy=3 / 12.0, compat=3)
        d.addPairwiseBilateral(sxy=80 / 12.0, srgb=13, rgbim=np.ascontiguousarray(bgr[i]), compat=10)
        ref = np.array(d.inference(10), np.float32).reshape(c, h, w)
        ref = np.maximum(ref, 1e-4)
        ref = ref / ref.sum(0, keepdims=True)
        assert np.abs(q[i].numpy() - ref).max() < 1e-5
    from mmwsss.crf import dense_crf
    q_torch = crf_target(logits, torch.from_numpy(bgr), params='sec_train',
                         crf_fn=lambda u, im, p: dense_crf(None, im, p, backend='torch', unary=u))
    assert (q_torch - q).abs().mean() < 1e-6  # the torch lattice backend, same BGR input
    q_rgb = crf_target(logits, torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1])), params='sec_train')
    assert (q_rgb - q).abs().max() > 1e-6  # the lattice is not invariant to the channel order
