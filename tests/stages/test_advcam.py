"""AdvCAM (Lee et al., CVPR 2021; W-OoD get_advcam.py / gradcam.py) against hand computations."""
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..conftest import REPO


class _Tiny(nn.Module):
    """Feature = 3x3 conv of the input (fixed weights); classifier = 1x1 conv without bias."""

    def __init__(self, seed=0, dim=4, classes=3):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.conv = nn.Conv2d(3, dim, 3, padding=1, bias=False)
        self.classifier = nn.Conv2d(dim, classes, 1, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=g))
            self.classifier.weight.copy_(torch.randn(self.classifier.weight.shape, generator=g))

    def extract_feat(self, x):
        return self.conv(x)


def _pair(seed=1, h=5, w=6):
    x = torch.randn(1, 3, h, w, generator=torch.Generator().manual_seed(seed))
    return torch.cat([x, x.flip(-1)])


def _hand_gradcam(model, x, c):
    """Grad-CAM by hand: d(sum_hw ReLU(A_c))/dF_k = W_ck * 1[A_c > 0]; weights = sum / #positive gradients."""
    feat = model.extract_feat(x)
    wc = model.classifier.weight[c, :, 0, 0]  # (D,)
    a_c = torch.einsum('d,ndhw->nhw', wc, feat.detach())
    grads = wc[None, :, None, None] * (a_c > 0).float()[:, None]  # (2, D, h, w), constants
    npos = float((grads > 0).sum())
    weights = grads.sum(dim=(2, 3)) / (npos + 1e-12)  # (2, D)
    gcam = torch.clamp(torch.einsum('nd,ndhw->nhw', weights, feat), min=0)
    return gcam[0] + torch.flip(gcam[1], dims=[1]), feat


def test_gradcam_weights_and_map_match_a_hand_computation():
    from mmwsss.stages.advcam import grad_cam, gradcam_map
    model = _Tiny()
    x = _pair()
    region, cams = gradcam_map(model, x, 1)
    ref, feat = _hand_gradcam(model, x, 1)
    torch.testing.assert_close(region, ref, atol=1e-6, rtol=1e-5)
    assert cams.shape == (2, 3, 5, 6) and (cams < 0).any()  # class maps without ReLU
    # numeric check of the weight formula on a known tensor
    g = torch.tensor([[[[1., -2.], [3., 0.]]], [[[-1., 4.], [0., 0.]]]])  # (2, 1, 2, 2): 3 positive entries
    f = torch.ones(2, 1, 2, 2)
    out = grad_cam(f, g)
    torch.testing.assert_close(out[0], torch.full((2, 2), 2 / 3))
    torch.testing.assert_close(out[1], torch.full((2, 2), 1.0))  # ReLU(3/3)


def _manual_advcam(model, x, c, n_iter, coeff, step, score_th):
    """The AdvCAM loop written out: J = l_c - sum_{k != c} l_k - coeff * sum |R - R0| * 1[R / max R > th]."""
    acc, r0 = 0, None
    for it in range(n_iter):
        x = x.detach().requires_grad_(True)
        region, feat = _hand_gradcam(model, x, c)
        acc = acc + region.detach()
        if r0 is None:
            r0 = region.detach()
        a = F.conv2d(feat, model.classifier.weight)
        l = torch.clamp(a, min=0).mean(dim=(2, 3))  # (2, C)
        others = [k for k in range(l.shape[1]) if k != c]
        mask = (region.detach() / region.detach().max() > score_th).float()
        j = l[:, c].sum() - l[:, others].sum() - coeff * (torch.abs(region - r0) * mask).sum()
        j.backward()
        g = x.grad
        lo, hi = float(x.detach().min()), float(x.detach().max())
        x = (x.detach() + step * g / (g.abs().max() + 1e-12)).clamp(lo, hi)
    return acc, x


def test_ascent_steps_match_a_manual_autograd_computation():
    from mmwsss.stages.advcam import advcam_class
    model = _Tiny()
    x = _pair()
    # 3 maps = 2 steps: the second step also has the restriction term (|R - R0| = 0 at the first)
    ours = advcam_class(model, x, 2, n_iter=3, coeff=7.0, step=0.3, score_th=0.5)
    ref, moved = _manual_advcam(model, x, 2, 3, 7.0, 0.3, 0.5)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    plain, _ = _hand_gradcam(model, x, 2)
    assert (ours - 3 * plain.detach()).abs().max() > 1e-3  # the steps changed the maps
    assert moved.min() >= x.min() - 1e-6 and moved.max() <= x.max() + 1e-6  # clamped to the input's range
    # the restriction weight matters once R differs from R0
    ref0, _ = _manual_advcam(model, x, 2, 3, 0.0, 0.3, 0.5)
    ours0 = advcam_class(model, x, 2, n_iter=3, coeff=0.0, step=0.3, score_th=0.5)
    torch.testing.assert_close(ours0, ref0, atol=1e-5, rtol=1e-5)
    assert (ours0 - ours).abs().max() > 1e-4
    with pytest.raises(ValueError, match='flip'):
        advcam_class(model, x[:1], 0, 2)


def _cam():
    from mmwsss.models.segmentors.cam_classifier import CAMClassifier
    dp = dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
              bgr_to_rgb=True, pad_val=0, seg_pad_val=255)
    backbone = dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, out_indices=(3, ),
                    strides=(1, 2, 2, 1), dilations=(1, 1, 1, 1))
    torch.manual_seed(0)
    model = CAMClassifier(backbone=backbone, num_classes=4, in_channels=64, data_preprocessor=dp).eval()
    with torch.no_grad():
        model.classifier.weight.normal_(0, 1).abs_()  # every class map positive somewhere
    return model


def test_one_iteration_is_the_plain_gradcam_accumulation():
    import mmwsss.seg  # noqa: F401  (registration)
    from mmwsss.models.segmentors.cam_classifier import normalize_cams
    from mmwsss.models.utils import image_to_input
    from mmwsss.stages.advcam import compute_advcam, gradcam_map
    from mmwsss.stages.cam import rescale_image
    model = _cam()
    img = np.random.default_rng(2).integers(0, 256, (30, 26, 3), dtype=np.uint8)
    out = compute_advcam(model, img, [2, 0], scales=(1.0, 0.5), adv_iter=1)
    strided, high = 0, 0
    for s in (0.5, 1.0):
        x = image_to_input(model, rescale_image(img, s))
        maps = torch.stack([gradcam_map(model, torch.cat([x, x.flip(-1)]), c)[0].detach() for c in (0, 2)])[None]
        strided = strided + F.interpolate(maps, size=(8, 7), mode='bilinear', align_corners=False)
        high = high + F.interpolate(maps, size=(32, 32), mode='bilinear', align_corners=False)[..., :30, :26]
    assert out['keys'].tolist() == [0, 2]
    assert out['cam'].shape == (2, 8, 7) and out['high_res'].shape == (2, 30, 26)
    assert out['cam'].dtype == np.float32
    np.testing.assert_allclose(out['cam'], normalize_cams(strided[0]).numpy(), atol=1e-6)
    np.testing.assert_allclose(out['high_res'], normalize_cams(high[0]).numpy(), atol=1e-6)
    assert out['high_res'].max() > 0.99
    with pytest.raises(ValueError, match='adv_iter'):
        compute_advcam(model, img, [0], adv_iter=0)
    assert compute_advcam(model, img, [])['cam'].shape == (0, 8, 7)


@pytest.mark.parametrize('adv_iter,reduced', [(12, 6), (27, 13), (8, 5), (4, 4)])
def test_second_scale_runs_the_reduced_schedule(adv_iter, reduced):
    from mmwsss.stages.advcam import compute_advcam, scale_schedule
    model = _cam()
    sizes = []
    extract = model.extract_feat

    def counted(x):
        sizes.append(tuple(x.shape[-2:]))
        return extract(x)

    model.extract_feat = counted
    img = np.random.default_rng(3).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    compute_advcam(model, img, [1], scales=(1.0, 0.5, 1.5), adv_iter=adv_iter)
    # the 0.5 scale (8 x 8 input) first, then 1.0 and 1.5, one forward per accumulated map
    assert sizes == [(8, 8)] * reduced + [(16, 16)] * adv_iter + [(24, 24)] * adv_iter
    assert scale_schedule(adv_iter)[0] == reduced
    assert scale_schedule(27)[1] == 2.0 and scale_schedule(8)[1] == 1.0


def test_make_cam_tool_writes_advcams_the_irn_stage_reads(tmp_path, tiny_synthetic):
    from mmwsss.apis import init_model
    from mmwsss.stages.irn import _load_cam, make_ir_labels
    cfg = osp.join(REPO, 'configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py')
    torch.manual_seed(3)
    ckpt = str(tmp_path / 'cam.pth')
    torch.save(dict(state_dict=init_model(cfg).state_dict(), meta=dict()), ckpt)
    ids = ['synth_train_000000', 'synth_train_000001']
    split = tmp_path / 'split.txt'
    split.write_text('\n'.join(ids) + '\n')
    env = dict(__import__('os').environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')

    def make_cam(out, *extra):
        res = subprocess.run([sys.executable, osp.join(REPO, 'tools/wood/make_cam.py'), cfg, ckpt, '--data-root',
                              tiny_synthetic, '--split', str(split), '--out-dir', str(out), '--scales', '1.0', '0.5']
                             + list(extra), cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
        return res

    adv = tmp_path / 'advcam'
    res = make_cam(adv, '--advcam', '--adv-iter', '2')
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    plain = tmp_path / 'cam'
    assert make_cam(plain).returncode == 0
    labels = dict(line.split(maxsplit=1) for line in
                  open(osp.join(tiny_synthetic, 'ImageSets/Segmentation/train_cls.txt')).read().splitlines())
    for name in ids:
        a, p = _load_cam(str(adv / f'{name}.npy')), _load_cam(str(plain / f'{name}.npy'))
        assert a['keys'].tolist() == sorted(int(c) for c in labels[name].split())
        assert a['keys'].tolist() == p['keys'].tolist()
        assert a['cam'].shape == p['cam'].shape
        assert a['high_res'].shape == p['high_res'].shape == (len(a['keys']), 64, 64)
        # max-normalised (+1e-5: the Grad-CAM of a random classifier is small, so its peak stays below 1)
        assert a['high_res'].dtype == np.float32 and 0 < a['high_res'].max() <= 1.0
        assert not np.allclose(a['high_res'], p['high_res'])
    assert make_ir_labels(ids, osp.join(tiny_synthetic, 'JPEGImages'), str(adv), str(tmp_path / 'ir'), crf=False) == 2
    # AdvCAM needs the flipped pair: a clear error, no output
    bad = make_cam(tmp_path / 'bad', '--advcam', '--no-flip')
    assert bad.returncode != 0 and 'flip' in bad.stderr


def test_make_cam_advcam_settings_from_config_and_command_line():
    import argparse
    import importlib.util

    from mmwsss.stages.advcam import ADVCAM_DEFAULTS
    from mmwsss.utils.config import load_config
    spec = importlib.util.spec_from_file_location('make_cam_tool', osp.join(REPO, 'tools/wood/make_cam.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    def args(**kw):
        base = dict(config='c.py', advcam=None, adv_iter=None, adv_coeff=None, adv_step=None, score_th=None)
        return argparse.Namespace(**dict(base, **kw))

    voc = load_config(osp.join(REPO, 'configs/wood/wood_r50-d16_1xb16-5e_voc12aug-512x512.py'))
    assert tool.advcam_settings(args(), voc.make_cam) == dict(adv_iter=27, coeff=7.0, step=0.08, score_th=0.5)
    assert tool.advcam_settings(args(advcam=False), voc.make_cam) is None
    embedded = load_config(osp.join(REPO, 'configs/wood/wood_r18-d8_1xb8-500it_synthetic-112x112.py'))
    assert tool.advcam_settings(args(), embedded.get('make_cam', {})) is None  # plain CAMs
    assert tool.advcam_settings(args(advcam=True, adv_iter=3, score_th=0.4), {}) == dict(
        ADVCAM_DEFAULTS, adv_iter=3, score_th=0.4)
    with pytest.raises(ValueError, match='adv-iter'):
        tool.advcam_settings(args(advcam=True, adv_iter=0), {})
    with pytest.raises(ValueError, match='iters'):
        tool.advcam_settings(args(), dict(advcam=dict(iters=3)))
