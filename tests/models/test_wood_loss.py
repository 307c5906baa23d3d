"""W-OoD losses against hand-computed numbers (W-OoD ``step/train_cam_clustering.py``)."""
import pytest
import torch
import torch.nn.functional as F

from mmwsss.models.losses.wood_loss import (WOoDMetricLoss, WOoDOoDLoss, harden_ood_inputs, wood_distances,
                                            wood_metric_loss, wood_ood_loss)


def test_metric_loss_hand_case():
    feats = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    cls = torch.tensor([[1.0, 0.0], [3.0, 0.0]])  # d = [[1, 3], [*, 4]]
    ood = torch.tensor([[0.0, 1.0], [0.0, 10.0], [6.0, 8.0], [3.0, 3.0], [100.0, 0.0]])
    loss, info = wood_metric_loss(feats, labels, cls, ood, topk_ratio=0.2, pull_weight=0.5)
    pull = (1.0 + 4.0) / 4  # mean over the full B x C matrix
    d = torch.cdist(feats, ood)  # (2, 5) -> 10 pairs, int(0.8 * 10) = 8th largest is tau
    s = torch.sort(d.flatten(), descending=True).values
    tau = s[7].item()
    push = d[d < tau].sum().item() / 10
    assert info['tau'].item() == pytest.approx(tau)
    assert (d < tau).sum().item() == 2  # exactly 20 %
    assert info['pull'].item() == pytest.approx(pull)
    assert loss.item() == pytest.approx(0.5 * pull - push, rel=1e-6)


def test_push_selects_exactly_20_percent_at_batch_16():
    torch.manual_seed(0)
    feats = torch.randn(16, 32, requires_grad=True)
    labels = (torch.rand(16, 20) > 0.8).float()
    protos = torch.randn(50, 32)
    loss, info = wood_metric_loss(feats, labels, torch.randn(20, 32), protos)
    d = torch.cdist(feats.detach(), protos)
    # tau = the 640th largest of the 800 distances; 160 = 20 % of the pairs lie strictly below it
    assert info['tau'].item() == pytest.approx(torch.sort(d.flatten(), descending=True).values[639].item())
    assert int((d < info['tau']).sum()) == 160
    loss.backward()
    assert torch.isfinite(feats.grad).all()


def test_default_pull_weight_is_c_over_k_and_tau_is_constant():
    torch.manual_seed(1)
    feats = torch.randn(4, 8, requires_grad=True)
    labels = torch.ones(4, 20)
    cls, ood = torch.randn(20, 8), torch.randn(50, 8)
    l_default, info = wood_metric_loss(feats, labels, cls, ood)
    l_explicit, _ = wood_metric_loss(feats, labels, cls, ood, pull_weight=0.4)
    assert l_default.item() == pytest.approx(l_explicit.item())
    # the gradient of the push term is that of the masked distances only (tau has no gradient)
    l_default.backward()
    g_auto = feats.grad.clone()
    f2 = feats.detach().clone().requires_grad_(True)
    d_c = torch.cdist(f2, cls)
    d_o = torch.cdist(f2, ood)
    mask = (d_o.detach() < info['tau']).float()
    ref = 0.4 * (labels * d_c).mean() - (d_o * mask).sum() / d_o.numel()
    ref.backward()
    assert torch.allclose(g_auto, f2.grad, atol=1e-6)


def test_metric_loss_zero_distance_gradient_is_finite():
    feats = torch.zeros(2, 3, requires_grad=True)
    loss, _ = wood_metric_loss(feats, torch.ones(2, 1), torch.zeros(1, 3), torch.zeros(5, 3), topk_ratio=1.0)
    loss.backward()
    assert torch.isfinite(feats.grad).all()


def test_metric_loss_shape_errors():
    with pytest.raises(ValueError, match='labels'):
        wood_metric_loss(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(5, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match='dim'):
        wood_metric_loss(torch.zeros(2, 3), torch.zeros(2, 5), torch.zeros(5, 4), torch.zeros(5, 3))
    with pytest.raises(ValueError, match='topk_ratio'):
        wood_metric_loss(torch.zeros(2, 3), torch.zeros(2, 5), torch.zeros(5, 3), torch.zeros(5, 3), topk_ratio=0)


def test_ood_loss_equals_soft_margin_to_zero_and_exclusion():
    torch.manual_seed(0)
    logits = torch.randn(6, 20)
    ref = F.multilabel_soft_margin_loss(logits, torch.zeros_like(logits))
    assert wood_ood_loss(logits).item() == pytest.approx(ref.item(), rel=1e-6)
    logits[0, 4] = 50.0  # top class "bottle" -> excluded, still divided by B
    per = F.softplus(logits).mean(1)
    expected = (per.sum() - per[0]) / 6
    assert wood_ood_loss(logits, exclude_classes=(4, )).item() == pytest.approx(expected.item(), rel=1e-6)
    m = WOoDOoDLoss(loss_weight=0.25, exclude_classes=[4])
    assert m(logits).item() == pytest.approx(0.25 * expected.item(), rel=1e-6)
    assert m.loss_name == 'loss_ood'
    assert WOoDMetricLoss().loss_weight == 0.007


def test_harden_ood_inputs_step_and_clamp():
    torch.manual_seed(0)
    w = torch.randn(5, 3 * 4 * 4)

    def logit_fn(x):
        return x.flatten(1) @ w.t()

    x = torch.randn(2, 3, 4, 4)
    params_grad_before = w.grad
    out = harden_ood_inputs(logit_fn, x, step_size=0.07)
    assert not out.requires_grad and out.shape == x.shape
    assert out.min() >= x.min() - 1e-6 and out.max() <= x.max() + 1e-6
    # the step is 0.07 * g / max|g| (before clamping): the largest change is at most 0.07
    assert (out - x).abs().max().item() <= 0.07 + 1e-6
    assert logit_fn(out).max(1).values.sum() > logit_fn(x).max(1).values.sum()
    g = torch.zeros_like(x).flatten(1)
    top = logit_fn(x).argmax(1)
    for i in range(2):
        g[i] = w[top[i]]
    g = g.view_as(x)
    expected = torch.clamp(x + 0.07 * g / g.abs().max(), x.min().item(), x.max().item())
    assert torch.allclose(out, expected, atol=1e-6)
    assert w.grad is params_grad_before  # no parameter gradients left behind


def test_wood_distances_are_the_losss_intermediates():
    torch.manual_seed(0)
    feats = torch.randn(16, 8, requires_grad=True)
    cls, ood = torch.randn(4, 8), torch.randn(10, 8)
    d = wood_distances(feats, cls, ood, topk_ratio=0.2)
    assert torch.allclose(d['d_cls'], torch.cdist(feats, cls), atol=1e-5)
    assert torch.allclose(d['d_ood'], torch.cdist(feats, ood), atol=1e-5)
    assert d['push_mask'].dtype == torch.bool and int(d['push_mask'].sum()) == 32  # 20 % of 160 pairs
    s = torch.sort(d['d_ood'].detach().flatten(), descending=True).values
    assert d['tau'] == s[int(0.8 * 160) - 1].item()
    assert (d['d_ood'][d['push_mask']] < d['tau']).all() and (d['d_ood'][~d['push_mask']] >= d['tau']).all()
    labels = (torch.rand(16, 4) > 0.5).float()
    loss, info = wood_metric_loss(feats, labels, cls, ood)
    ref = (labels * d['d_cls']).mean() * 0.4 - (d['d_ood'] * d['push_mask']).sum() / 160
    assert loss.item() == pytest.approx(ref.item(), rel=1e-6) and info['tau'].item() == d['tau']
    assert d['d_ood'].requires_grad
    with pytest.raises(ValueError, match='wood_distances.*feats'):
        wood_distances(torch.zeros(3), cls, ood)
