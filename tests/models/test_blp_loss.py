"""BLP loss, annotation-head CE and self-training labels (BLPSeg lib/net/blpseg.py; lib/net/loss.py)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmwsss.models.losses.blp_loss import (AnnotationProbabilityLoss, BLPLoss, annotation_ce_loss, blp_loss,
                                           blp_pseudo_labels, scribble_img_labels)

C = 4


def _data(seed=0, n=2, h=5, w=6):
    g = torch.Generator().manual_seed(seed)
    seg = torch.randn(n, C, h, w, generator=g) * 2
    scrib = torch.randn(n, C + 1, h, w, generator=g) * 2
    target = torch.randint(0, C + 1, (n, h, w), generator=g)
    target[:, 0, :2] = 255
    return seg, scrib, target


def _numpy_blp(seg, scrib, target, gamma):
    seg, scrib, target = seg.double().numpy(), scrib.double().numpy(), target.numpy()
    p = np.exp(seg - seg.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    q = np.exp(scrib - scrib.max(1, keepdims=True))
    q /= q.sum(1, keepdims=True)
    total = []
    for i in range(seg.shape[0]):
        num = den = 0.0
        for y in range(seg.shape[2]):
            for x in range(seg.shape[3]):
                t = target[i, y, x]
                if t < C:
                    w = (1 - q[i, t, y, x] * p[i, t, y, x]) ** gamma
                    num += w * -np.log(p[i, t, y, x])
                    den += w
        total.append(num / (den + 1e-7))
    return float(np.mean(total))


@pytest.mark.parametrize('gamma', [2.0, 0.0, 1.0])
def test_blp_loss_matches_formula(gamma):
    seg, scrib, target = _data()
    got = blp_loss(seg, scrib, target, gamma=gamma).item()
    assert got == pytest.approx(_numpy_blp(seg, scrib, target, gamma), rel=1e-5)


def test_gamma0_is_per_image_partial_ce():
    seg, _, target = _data(1)
    per_image = []
    for i in range(2):
        t = target[i].clone()
        t[t >= C] = 255
        per_image.append(F.cross_entropy(seg[i:i + 1], t[None], ignore_index=255))
    expect = torch.stack(per_image).mean()
    assert torch.allclose(blp_loss(seg, None, target, gamma=0.0), expect, atol=1e-6)


def test_weights_detached_and_unlabelled_pixels_ignored():
    seg, scrib, target = _data(2)
    seg.requires_grad_()
    scrib.requires_grad_()
    loss = blp_loss(seg, scrib, target)
    loss.backward()
    assert scrib.grad is None  # q enters only through the detached weight
    unl = (target >= C)  # "not annotated" (C) and padding (255)
    assert seg.grad.permute(0, 2, 3, 1)[unl].abs().max() == 0
    # gradient = w / sum(w) * (p - onehot) / n_images, with w treated as a constant
    p = seg.detach().softmax(1)
    q = scrib.detach().softmax(1)
    tc = target.clamp(max=C - 1)
    w = (1 - q.gather(1, tc[:, None]) * p.gather(1, tc[:, None]))[:, 0] ** 2 * (target < C)
    onehot = F.one_hot(tc, C).permute(0, 3, 1, 2).double()
    expect = (w / (w.flatten(1).sum(1) + 1e-7)[:, None, None])[:, None].double() * (p.double() - onehot) / 2
    assert torch.allclose(seg.grad.double(), expect, atol=1e-6)


def test_rare_annotations_weigh_more():
    # pixel A: frequently annotated and well predicted -> weight ~0; pixel B: rare -> weight ~1
    seg = torch.zeros(1, C, 1, 2)
    seg[0, 1] = 6.0
    scrib = torch.zeros(1, C + 1, 1, 2)
    scrib[0, 1, 0, 0] = 8.0  # q_1 ~ 1 at A
    scrib[0, C, 0, 1] = 8.0  # q ~ 0 for every class at B
    target = torch.tensor([[[1, 1]]])
    p1 = seg[0, :, 0, 0].softmax(0)[1].item()
    q1 = scrib[0, :, 0, 0].softmax(0)[1].item()
    q1b = scrib[0, :, 0, 1].softmax(0)[1].item()
    wa, wb = (1 - q1 * p1) ** 2, (1 - q1b * p1) ** 2
    assert wa < 0.01 and wb > 0.99
    assert blp_loss(seg, scrib, target).item() == pytest.approx(-np.log(p1), rel=1e-5)


def test_image_without_labels_counts_as_zero():
    seg, scrib, target = _data(3)
    target[1] = C
    one = blp_loss(seg[:1], scrib[:1], target[:1])
    both = blp_loss(seg, scrib, target)
    assert torch.allclose(both, one / 2, atol=1e-6)


def test_annotation_ce():
    _, scrib, target = _data(4)
    w = torch.ones(C + 1)
    w[C] = 0.02
    valid = target != 255
    ell = F.cross_entropy(scrib, target.clamp(max=C), reduction='none')
    wy = w[target.clamp(max=C)] * valid
    expect = (wy * ell).sum() / wy.sum()
    assert torch.allclose(annotation_ce_loss(scrib, target), expect, atol=1e-6)
    mod = AnnotationProbabilityLoss(loss_weight=2.0)
    assert mod.loss_name == 'loss_scrib'
    assert torch.allclose(mod(scrib, target), 2 * expect, atol=1e-6)
    s = scrib.clone().requires_grad_()
    zero = annotation_ce_loss(s, torch.full_like(target, 255))
    zero.backward()
    assert zero.item() == 0 and s.grad is not None
    with pytest.raises(ValueError, match='outside'):
        annotation_ce_loss(scrib, torch.full_like(target, C + 1))
    with pytest.raises(ValueError, match='does not match'):
        annotation_ce_loss(scrib, target[:, :-1])


def test_pseudo_labels():
    # 1 image, 4 pixels: confident bg, confident class 2 (absent from the image), confident class 1,
    # unconfident; scribble: px0 not annotated, px1 not annotated, px2 = 3 (scribbled), px3 padding.
    seg = torch.full((1, C, 1, 4), -10.0)
    seg[0, 0, 0, 0] = 10
    seg[0, 2, 0, 1] = 10
    seg[0, 1, 0, 2] = 10
    seg[0, :, 0, 3] = 0
    scribble = torch.tensor([[[C, C, 3, 255]]])
    labels = torch.tensor([[1., 1., 0., 1.]])
    out = blp_pseudo_labels(seg, scribble, labels, threshold=0.9)
    assert out.tolist() == [[[0, 255, 3, 255]]]
    # image labels from the scribble: background + class 3 only -> class 1/2 pixels become ignore
    assert scribble_img_labels(scribble, C).tolist() == [[1., 0., 0., 1.]]
    assert blp_pseudo_labels(seg, scribble, None).tolist() == [[[0, 255, 3, 255]]]
    # an unconfident-but-scribbled pixel keeps its scribble
    seg2 = torch.zeros(1, C, 1, 1)
    assert blp_pseudo_labels(seg2, torch.tensor([[[2]]]), torch.ones(1, C)).item() == 2
    assert blp_pseudo_labels(seg2, torch.tensor([[[C]]]), torch.ones(1, C)).item() == 255
    with pytest.raises(ValueError, match='img_labels'):
        blp_pseudo_labels(seg, scribble, torch.ones(1, C + 1))


def test_registered_blp_loss():
    from mmseg.registry import MODELS

    import mmwsss.seg  # noqa: F401
    loss = MODELS.build(dict(type='BLPLoss', gamma=2.0, loss_weight=0.5))
    assert isinstance(loss, BLPLoss) and loss.loss_name == 'loss_blp'
    seg, scrib, target = _data(5)
    assert torch.allclose(loss(seg, scrib, target), 0.5 * blp_loss(seg, scrib, target))
    with pytest.raises(ValueError, match='gamma'):
        BLPLoss(gamma=-1)
    with pytest.raises(ValueError, match=r'\(N, C\+1, H, W\)'):
        blp_loss(seg, scrib[:, :C], target)
