"""IRN stage: path indexing, affinities, random walk (hand-checkable cases), seeds, pseudo masks, IRNet."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmwsss.stages.irn import (affinity_labels, cams_to_ir_label, edge_to_affinity, path_offsets, random_walk,
                             rw_to_sem_seg_label, transition_matrix)


def test_edge_to_affinity_takes_max_along_path():
    edge = torch.zeros(3, 4)
    edge[1, 1] = 0.8
    aff, valid = edge_to_affinity(edge, radius=3)
    offs = [o for o, _ in path_offsets(3)]
    p = offs.index((0, 2))  # (1, 0) -> (1, 2) passes (1, 1)
    assert aff[0, p, 1, 0].item() == pytest.approx(0.2)
    assert aff[0, p, 0, 0].item() == pytest.approx(1.0)
    assert not valid[p, 0, 2]  # (0, 2) -> (0, 4) leaves the map
    q = offs.index((1, 0))
    assert aff[0, q, 0, 1].item() == pytest.approx(0.2)  # (0, 1) -> (1, 1): destination on the edge


def test_affinity_labels_bg_fg_neg_ignore():
    lab = torch.tensor([[[0, 0, 1, 255]]])
    bg, fg, neg = affinity_labels(lab, radius=2, sources='all')  # the pair rule; IRN's border band: elsewhere
    offs = [o for o, _ in path_offsets(2)]
    p = offs.index((0, 1))
    assert bg[0, p, 0].tolist() == [True, False, False, False]
    assert neg[0, p, 0].tolist() == [False, True, False, False]
    assert not (bg | fg | neg)[0, p, 0, 2]  # pair with 255
    lab2 = torch.tensor([[[2, 2]]])
    _, fg2, _ = affinity_labels(lab2, radius=2, sources='all')
    assert fg2[0, p, 0, 0]


def test_random_walk_hand_checked_1x3():
    # 1x3 grid, radius 2 -> only horizontal neighbours at distance 1; beta 1; no squaring (T^1)
    edge = torch.tensor([[0.0, 0.5, 0.0]])
    cams = torch.tensor([[[1.0, 0.0, 0.0]]])
    a = np.array([[1, .5, 0], [.5, 1, .5], [0, .5, 1]])  # aff = 1 - max(edge on path) = 0.5 for both pairs
    t = a / a.sum(0, keepdims=True)
    np.testing.assert_allclose(transition_matrix(edge, radius=2, beta=1.0).to_dense().numpy(), t, rtol=1e-6)
    x = np.array([1.0, 0.0, 0.0]) * (1 - edge.numpy()[0])
    rw = random_walk(cams, edge, beta=1.0, exp_times=0, radius=2)
    np.testing.assert_allclose(rw.numpy()[0, 0], x @ t, rtol=1e-6)
    np.testing.assert_allclose(rw.numpy()[0, 0], [1 / 1.5, 0.5 / 2, 0.0], rtol=1e-6)
    # beta 10: 0.5^10, squared twice -> T^4
    a10 = np.array([[1, .5**10, 0], [.5**10, 1, .5**10], [0, .5**10, 1]])
    t10 = a10 / a10.sum(0, keepdims=True)
    rw = random_walk(cams, edge, beta=10.0, exp_times=2, radius=2)
    np.testing.assert_allclose(rw.numpy()[0, 0], x @ np.linalg.matrix_power(t10, 4), rtol=1e-5)


def test_random_walk_dense_equals_sparse_and_respects_edges():
    torch.manual_seed(0)
    edge = torch.zeros(8, 8)
    edge[:, 4] = 1.0  # a wall between the two halves
    cams = torch.zeros(1, 8, 8)
    cams[0, 3, 1] = 1.0
    dense = random_walk(cams, edge, exp_times=3, radius=3, dense_max_nodes=10**6)
    sparse = random_walk(cams, edge, exp_times=3, radius=3, dense_max_nodes=0)
    assert torch.allclose(dense, sparse, atol=1e-6)
    assert dense[0, :, 5:].abs().max() < 1e-6  # nothing crosses the wall
    assert dense[0, :, :4].sum() > 0.5
    # mass is conserved by a column-stochastic walk: sum(x T) = sum(x)
    t = transition_matrix(edge, 3, 10.0).to_dense()
    assert torch.allclose(t.sum(0), torch.ones(64), atol=1e-5)
    with pytest.raises(ValueError, match='random_walk'):
        random_walk(cams, torch.zeros(4, 4))


def test_rw_to_sem_seg_label_bg_threshold_and_keys():
    rw = torch.zeros(2, 2, 2)
    rw[0, 0, 0] = 1.0
    rw[1, 1, 1] = 0.5
    lab = rw_to_sem_seg_label(rw, np.array([3, 6]), (8, 8), bg_thr=0.22)
    assert lab.shape == (8, 8) and lab.dtype == np.uint8
    assert lab[0, 0] == 4 and lab[7, 7] == 7  # class keys + 1
    assert set(np.unique(lab)) <= {0, 4, 7}
    lab_hi = rw_to_sem_seg_label(rw, np.array([3, 6]), (8, 8), bg_thr=0.6)
    assert lab_hi[7, 7] == 0  # 0.5 after max normalisation < 0.6


def test_cams_to_ir_label_without_crf():
    cams = np.array([[[0.5, 0.2, 0.1]]], np.float32)  # one class (key 2)
    img = np.zeros((1, 3, 3), np.uint8)
    lab = cams_to_ir_label(cams, np.array([2]), img, 0.30, 0.15, crf=False)
    # 0.5 > fg thr -> class 3; 0.2 between the two thresholds -> unsure 255; 0.1 -> background
    assert lab.tolist() == [[3, 255, 0]]
    with pytest.raises(ValueError, match='size'):
        cams_to_ir_label(cams, np.array([2]), np.zeros((2, 3, 3), np.uint8), crf=False)


def _tiny_irnet():
    from mmwsss.models.segmentors.irn import IRNet
    return IRNet(
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, out_indices=(0, 1, 2, 3),
                      strides=(1, 2, 2, 1), dilations=(1, 1, 1, 1)),
        in_channels=(8, 16, 32, 64), edge_channels=8, dp_channels=(8, 8, 8, 8), dp_hidden=16, radius=4,
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True, size=(32, 32)))


def test_affinity_displacement_loss_terms():
    from mmwsss.models.segmentors.irn import affinity_displacement_loss
    label = torch.tensor([[[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 255, 1], [2, 2, 2, 1]]])
    edge = torch.zeros(1, 4, 4)
    disp = torch.zeros(1, 2, 4, 4)
    out = affinity_displacement_loss(edge, disp, label, radius=2)
    assert out['loss_aff_bg'].item() == pytest.approx(-np.log(1 + 1e-5) / 4, abs=1e-6)
    assert out['loss_aff_neg'].item() == pytest.approx(-np.log(1e-5) / 2, rel=1e-3)  # aff = 1 on negatives (float32 1 + 1e-5)
    assert out['loss_dp_bg'].item() == pytest.approx(0.0)
    # zero displacement vs target (dy, dx) on fg pairs: mean of (|dy| + |dx|) / 2 over fg pairs, halved
    assert out['loss_dp_fg'].item() > 0
    # a field pointing every pixel to one centre satisfies d_src - d_dst = dst - src exactly
    yy, xx = torch.meshgrid(torch.arange(4.), torch.arange(4.), indexing='ij')
    centred = torch.stack([-yy, -xx])[None]
    out_c = affinity_displacement_loss(edge, centred, label, radius=2)
    assert out_c['loss_dp_fg'].item() == pytest.approx(0.0, abs=1e-6)
    assert out_c['loss_dp_bg'].item() > 0
    edge_all = torch.ones(1, 4, 4)  # aff = 0 everywhere: positives pay -log(1e-5), negatives ~0
    out2 = affinity_displacement_loss(edge_all, disp, label, radius=2)
    assert out2['loss_aff_bg'].item() == pytest.approx(-np.log(1e-5) / 4, rel=1e-4)
    assert out2['loss_aff_neg'].item() == pytest.approx(-np.log(1 + 1e-5) / 2, abs=1e-6)


def test_irnet_trains_heads_only_and_predicts_edges():
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    torch.manual_seed(0)
    model = _tiny_irnet()
    model.train()
    assert not model.backbone.training
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    imgs = [torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8) for _ in range(2)]
    samples = []
    for _ in range(2):
        s = SegDataSample()
        lab = torch.zeros(1, 32, 32, dtype=torch.long)
        lab[:, 8:24, 8:24] = 1
        lab[:, 4:8] = 255
        s.gt_sem_seg = PixelData(data=lab)
        samples.append(s)
    data = model.data_preprocessor(dict(inputs=imgs, data_samples=samples), True)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert set(losses) == {'loss_aff_bg', 'loss_aff_fg', 'loss_aff_neg', 'loss_dp_fg', 'loss_dp_bg'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    opt.zero_grad()
    total.backward()
    opt.step()
    for k, v in model.backbone.state_dict().items():
        assert torch.equal(v, before[k]), k  # frozen backbone, BN statistics untouched
    assert all(p.grad is None for p in model.backbone.parameters())
    edge = model.eval().predict_edge(np.zeros((30, 30, 3), np.uint8), out_size=(8, 8))
    assert edge.shape == (8, 8) and float(edge.min()) >= 0 and float(edge.max()) <= 1


def test_make_sem_seg_labels_writes_pngs_and_resumes(tmp_path):
    from mmwsss.stages.irn import make_sem_seg_labels
    from mmwsss.utils import atomic_save_npy
    model = _tiny_irnet().eval()
    img_dir, cam_dir, out_dir = tmp_path / 'img', tmp_path / 'cam', tmp_path / 'out'
    os.makedirs(img_dir)
    rng = np.random.default_rng(0)
    for name, keys in (('a', [1]), ('b', [])):
        Image.fromarray(rng.integers(0, 255, (30, 26, 3), dtype=np.uint8)).save(img_dir / f'{name}.jpg')
        cam = np.zeros((len(keys), 8, 7), np.float32)
        if keys:
            cam[0, 2:6, 2:5] = 1.0
        atomic_save_npy(cam_dir / f'{name}.npy', np.array(dict(keys=np.array(keys), cam=cam,
                                                               high_res=np.zeros((len(keys), 30, 26))), dtype=object))
    n = make_sem_seg_labels(model, ['a', 'b'], str(img_dir), str(cam_dir), str(out_dir), exp_times=2)
    assert n == 2
    a = np.asarray(Image.open(out_dir / 'a.png'))
    assert a.shape == (30, 26) and set(np.unique(a)) <= {0, 2} and (a == 2).any()
    assert (np.asarray(Image.open(out_dir / 'b.png')) == 0).all()
    assert make_sem_seg_labels(model, ['a', 'b'], str(img_dir), str(cam_dir), str(out_dir)) == 0  # resumed
    with pytest.raises(FileNotFoundError, match='c.npy'):
        make_sem_seg_labels(model, ['c'], str(img_dir), str(cam_dir), str(out_dir))


def test_ir_label_stats_coverage_and_precision(tmp_path):
    from mmwsss.stages.irn import ir_label_stats
    lab = np.zeros((4, 5), np.uint8)
    lab[0, :] = 255  # 5 unsure
    lab[1, :2] = 2  # 2 fg, one right
    gt = np.zeros((4, 5), np.uint8)
    gt[1, 0] = 2
    gt[2, 0] = 1  # one bg seed is wrong
    (tmp_path / 'lab').mkdir()
    (tmp_path / 'gt').mkdir()
    Image.fromarray(lab).save(tmp_path / 'lab' / 'a.png')
    Image.fromarray(gt).save(tmp_path / 'gt' / 'a.png')
    s = ir_label_stats(['a'], str(tmp_path / 'lab'), str(tmp_path / 'gt'))
    assert s['ignore_fraction'] == pytest.approx(5 / 20) and s['fg_fraction'] == pytest.approx(2 / 20)
    assert s['bg_fraction'] == pytest.approx(13 / 20)
    assert s['fg_precision'] == pytest.approx(0.5) and s['bg_precision'] == pytest.approx(12 / 13)
    assert 'fg_precision' not in ir_label_stats(['a'], str(tmp_path / 'lab'), str(tmp_path / 'none'))


def test_predict_edge_sees_the_training_channel_order():
    model = _tiny_irnet().eval()
    torch.manual_seed(0)
    bgr = torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
    x = model.data_preprocessor(dict(inputs=[bgr], data_samples=None), False)['inputs']
    with torch.no_grad():
        edge, _ = model.forward_heads(torch.cat([x, x.flip(-1)]))
        ref = torch.sigmoid((edge[0:1] + edge[1:2].flip(-1)) / 2)[0, 0]
        out = model.predict_edge(bgr.flip(0).permute(1, 2, 0).numpy())
    assert out.shape == ref.shape and torch.allclose(out, ref, atol=1e-5)


def test_irnet_loss_reduces_labels_like_pil_and_uses_irn_pairs():
    """IRN reduces the IR label with PIL's nearest x0.25 rescale (``imutils.pil_rescale``), pixel centres."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    from mmwsss.models.segmentors.irn import affinity_displacement_loss
    torch.manual_seed(0)
    model = _tiny_irnet().train()
    lab = np.random.default_rng(0).integers(0, 3, (32, 32)).astype(np.uint8)
    lab[lab == 2] = 255
    sample = SegDataSample(gt_sem_seg=PixelData(data=torch.from_numpy(lab)[None].long()))
    img = torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=[img], data_samples=[sample]), True)
    with torch.no_grad():
        losses = model(data['inputs'], data['data_samples'], mode='loss')
        edge, disp = model.forward_heads(data['inputs'])
        reduced = torch.from_numpy(np.array(Image.fromarray(lab).resize((8, 8), resample=Image.NEAREST)))[None]
        ref = affinity_displacement_loss(torch.sigmoid(edge[:, 0]), disp, reduced.long(), radius=4)
        ref_all = affinity_displacement_loss(torch.sigmoid(edge[:, 0]), disp, reduced.long(), radius=4,
                                             pair_sources='all')
    for k in ref:
        assert losses[k].item() == pytest.approx(ref[k].item(), rel=1e-6), k
    assert any(abs(ref[k].item() - ref_all[k].item()) > 1e-4 for k in ref)  # the border band matters
    with pytest.raises(ValueError, match='pair_sources'):
        from mmwsss.models.segmentors.irn import IRNet
        IRNet(backbone=dict(type='ResNetV1c', depth=18), in_channels=(64, 128, 256, 512), pair_sources='x')


def test_predict_edge_pads_like_wood_edge_displacement():
    """W-OoD pads the image and its flip right/bottom to the crop (after normalisation), crops the output."""
    import torch.nn.functional as F
    model = _tiny_irnet().eval()
    model.test_pad_size = 48
    img = np.random.default_rng(0).integers(0, 256, (30, 26, 3), dtype=np.uint8)
    from mmwsss.models.utils import image_to_input
    x = image_to_input(model, img)
    with torch.no_grad():
        e0, _ = model.forward_heads(F.pad(x, (0, 48 - 26, 0, 48 - 30)))
        e1, _ = model.forward_heads(F.pad(x.flip(-1), (0, 48 - 26, 0, 48 - 30)))
        fh, fw = (30 - 1) // 4 + 1, (26 - 1) // 4 + 1
        ref = torch.sigmoid((e0[..., :fh, :fw] + e1[..., :fh, :fw].flip(-1)) / 2)[0, 0]
        out = model.predict_edge(img)
        model.test_pad_size = None
        plain = model.predict_edge(img)
    assert out.shape == (fh, fw) and torch.allclose(out, ref, atol=1e-6)
    assert (out - plain).abs().max() > 1e-4  # GroupNorm statistics see the padding
