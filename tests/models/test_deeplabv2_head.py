"""DeepLab-v2 final model of the W-OoD / CAM + IRN pipeline: DeepLabV2Head and FgBgBalancedCELoss."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmwsss.seg  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
init_default_scope('mmseg')


def test_head_is_the_sum_of_four_dilated_convs_to_logits():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='DeepLabV2Head', in_channels=16, num_classes=5))
    head.init_weights()
    assert [b.dilation for b in head.aspp] == [(6, 6), (12, 12), (18, 18), (24, 24)]
    assert not hasattr(head, 'conv_seg') and head.dropout is None
    names = {n for n, _ in head.named_parameters()}
    assert names == {f'aspp.{i}.{k}' for i in range(4) for k in ('weight', 'bias')}
    # DeepLab-v2 init: N(0, 0.01) weights, zero biases
    w = torch.cat([b.weight.flatten() for b in head.aspp])
    assert abs(w.std().item() - 0.01) < 1e-3 and all((b.bias == 0).all() for b in head.aspp)
    x = torch.randn(2, 16, 30, 30)
    for b in head.aspp:  # non-zero biases so that the test sees them
        torch.nn.init.normal_(b.bias)
    expect = sum(F.conv2d(x, b.weight, b.bias, padding=d, dilation=d) for b, d in zip(head.aspp, (6, 12, 18, 24)))
    out = head([x])
    assert out.shape == (2, 5, 30, 30) and torch.allclose(out, expect, atol=1e-6)


def _dsrg_seed_loss(logits, labels, ignore=255):
    """DSRG pylayers.py SeedLossLayer3 on one-hot maps of hard labels (numpy, float64)."""
    z = logits.astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    n, c = z.shape[:2]
    onehot = np.zeros_like(p)
    for k in range(c):
        onehot[:, k] = labels == k  # 255 gives an all-zero column: ignored
    lbg, pbg = onehot[:, 0], p[:, 0]
    lfg, pfg = onehot[:, 1:], p[:, 1:]
    loss_1 = -np.mean((lbg * np.log(pbg)).sum((1, 2)) / np.maximum(lbg.sum((1, 2)), 1e-4))
    loss_2 = -np.mean((lfg * np.log(pfg)).sum((1, 2, 3)) / np.maximum(lfg.sum((1, 2, 3)), 1e-4))
    return loss_1 + loss_2


def test_balanced_ce_equals_dsrg_seed_loss_on_hard_labels():
    from mmwsss.models.losses import FgBgBalancedCELoss
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 4, 6, 7)).astype(np.float32) * 3
    labels = rng.integers(0, 4, (3, 6, 7))
    labels[0, :2] = 255
    labels[1] = np.where(labels[1] == 0, 1, labels[1])  # no background in image 1
    labels[2] = np.where(labels[2] > 0, 255, labels[2])  # no foreground in image 2
    loss = FgBgBalancedCELoss()
    x = torch.tensor(logits, requires_grad=True)
    out = loss(x, torch.tensor(labels))
    assert abs(out.item() - _dsrg_seed_loss(logits, labels)) < 1e-5
    out.backward()
    assert torch.isfinite(x.grad).all() and (x.grad[0, :, :2] == 0).all()  # ignored pixels get no gradient
    # unlike plain CE: a class's weight depends on how many pixels share its group
    plain = F.cross_entropy(torch.tensor(logits), torch.tensor(labels), ignore_index=255)
    assert abs(out.item() - plain.item()) > 1e-3
    with pytest.raises(ValueError, match=r'labels \[7\] outside 0..3'):
        loss(x, torch.full((3, 6, 7), 7))


def test_wood_voc_final_model_config_is_deeplabv2_with_balanced_ce():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'wood', 'deeplabv2-pseudo_r101-d8_1xb10-30k_voc12aug-321x321.py'))
    head = cfg.model.decode_head
    assert head.type == 'DeepLabV2Head' and tuple(head.dilations) == (6, 12, 18, 24)
    assert head.loss_decode.type == 'FgBgBalancedCELoss' and cfg.model.get('auxiliary_head') is None
    assert cfg.train_dataloader.batch_size == 10 and cfg.train_cfg.max_iters == 30000
    model = MODELS.build(dict(cfg.model, backbone=dict(cfg.model.backbone, init_cfg=None), pretrained=None))
    assert model.decode_head.in_channels == 2048
    from mmengine.optim import build_optim_wrapper
    opt = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    lr = {id(p): (g['lr'], g['weight_decay']) for g in opt.param_groups for p in g['params']}
    base = cfg.optim_wrapper.optimizer.lr
    assert lr[id(model.decode_head.aspp[2].weight)] == pytest.approx((10 * base, 5e-4))
    assert lr[id(model.decode_head.aspp[2].bias)] == pytest.approx((20 * base, 0.0))
    assert lr[id(model.backbone.layer4[0].conv1.weight)] == pytest.approx((base, 5e-4))
