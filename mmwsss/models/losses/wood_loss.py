"""W-OoD losses: the feature metric loss L_M and the OoD "BCE to zero" loss.

Formulas follow W-OoD's ``step/train_cam_clustering.py`` (``run``, ``get_Mahalanobis_score``) and the paper
(Lee et al., CVPR 2022, Sec. 3.3).
"""
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

__all__ = [
    'wood_distances', 'wood_metric_loss', 'wood_ood_loss', 'harden_ood_inputs', 'WOoDMetricLoss', 'WOoDOoDLoss'
]


def _pairwise_l2(x: Tensor, y: Tensor) -> Tensor:
    """Euclidean distances with a finite gradient at distance 0.

    Args:
        x: (B, D) features.
        y: (P, D) prototypes.

    Returns:
        Tensor: (B, P) distances ``||x_b - y_p||_2``.
    """
    # vector_norm's backward is defined as 0 at exactly zero distance (no NaN), unlike sqrt(sum sq).
    return torch.linalg.vector_norm(x[:, None, :] - y[None, :, :], ord=2, dim=-1)


def wood_distances(feats: Tensor,
                   class_protos: Tensor,
                   ood_protos: Tensor,
                   topk_ratio: float = 0.2) -> dict:
    """The distances W-OoD's metric loss is built from, and which in-distribution / OoD pairs it pushes.

    Exposed for inspection (which OoD clusters a batch sits near, how many pairs are pushed); the loss
    :func:`wood_metric_loss` is computed from exactly these tensors.

    Args:
        feats: (B, D) GAP features of the in-distribution batch.
        class_protos: (C, D) class prototypes ``mu_c``.
        ood_protos: (K, D) OoD prototypes ``nu_k``.
        topk_ratio: fraction of the B*K (sample, OoD prototype) pairs that are pushed (``ood_dist_topk``, 0.2).

    Returns:
        dict: ``d_cls`` (B, C) and ``d_ood`` (B, K) Euclidean distances (differentiable w.r.t. ``feats``);
        ``push_mask`` (B, K) bool, the pairs with ``d_ood < tau``; ``tau`` (float), the
        ``int((1 - topk_ratio) * B * K)``-th largest OoD distance (``inf`` when every pair is pushed).
    """
    if feats.dim() != 2:
        raise ValueError(f'wood_distances: feats must be (B, D), got {tuple(feats.shape)}')
    if class_protos.shape[1] != feats.shape[1] or ood_protos.shape[1] != feats.shape[1]:
        raise ValueError(f'wood_distances: prototype dim {class_protos.shape[1]}/{ood_protos.shape[1]} '
                         f'!= feature dim {feats.shape[1]}')
    if not 0.0 < topk_ratio <= 1.0:
        raise ValueError(f'wood_distances: topk_ratio must lie in (0, 1], got {topk_ratio}')
    d_cls = _pairwise_l2(feats, class_protos.to(feats.dtype))  # (B, C)
    d_ood = _pairwise_l2(feats, ood_protos.to(feats.dtype))  # (B, K)
    flat = d_ood.detach().flatten()
    k_top = int((1.0 - topk_ratio) * flat.numel())
    if k_top >= 1:
        # tau = k_top-th largest distance; entries strictly below it are the closest ~topk_ratio pairs.
        tau = torch.topk(flat, k_top, largest=True, sorted=True).values[-1].item()
        push_mask = d_ood.detach() < tau
    else:  # topk_ratio == 1 (or tiny batches): push every pair
        tau = float('inf')
        push_mask = torch.ones_like(d_ood, dtype=torch.bool)
    return dict(d_cls=d_cls, d_ood=d_ood, push_mask=push_mask, tau=tau)


def wood_metric_loss(feats: Tensor,
                     labels: Tensor,
                     class_protos: Tensor,
                     ood_protos: Tensor,
                     topk_ratio: float = 0.2,
                     pull_weight: Optional[float] = None) -> Tuple[Tensor, dict]:
    """Metric loss ``L_M = L_fg * (C / K) - L_push`` (W-OoD ``step/train_cam_clustering.py``).

    ``L_fg`` pulls each in-distribution feature towards the prototypes of its classes, ``L_push`` pushes it away
    from the OoD prototypes, but only for the ``topk_ratio`` fraction of (sample, OoD-prototype) pairs with the
    smallest distance in the batch. The threshold ``tau`` is the ``int((1 - topk_ratio) * B * K)``-th largest
    distance, taken as a constant (``.item()`` in the original), and pairs with ``d < tau`` are pushed
    (:func:`wood_distances` returns these intermediate tensors).

    Args:
        feats: (B, D) GAP features of the in-distribution batch (with gradients).
        labels: (B, C) multi-hot foreground labels (float or bool).
        class_protos: (C, D) fixed class prototypes ``mu_c``.
        ood_protos: (K, D) fixed OoD prototypes ``nu_k``.
        topk_ratio: fraction of closest pairs that are pushed (``ood_dist_topk`` = 0.2).
        pull_weight: weight of the pull term; ``None`` uses ``C / K`` (0.4 for VOC: 20 / 50, the original's
            ``20 / cluster_K`` factor).

    Returns:
        tuple: the scalar loss and a dict of detached diagnostics (``pull``, ``push``, ``tau``).
    """
    if feats.dim() != 2 or labels.shape != (feats.shape[0], class_protos.shape[0]):
        raise ValueError(f'wood_metric_loss: expected feats (B, D) and labels (B, C={class_protos.shape[0]}), '
                         f'got {tuple(feats.shape)} and {tuple(labels.shape)}')
    num_cls, num_ood = class_protos.shape[0], ood_protos.shape[0]
    if pull_weight is None:
        pull_weight = num_cls / num_ood
    dist = wood_distances(feats, class_protos, ood_protos, topk_ratio)
    # Mean over the full B x C matrix; absent classes contribute zeros.
    pull = (labels.to(feats.dtype) * dist['d_cls']).mean()
    d_ood = dist['d_ood']
    push = (d_ood * dist['push_mask'].to(feats.dtype)).sum() / d_ood.numel()
    loss = pull * pull_weight - push
    return loss, dict(pull=pull.detach(), push=push.detach(), tau=torch.tensor(dist['tau']))


def wood_ood_loss(logits: Tensor, exclude_classes: Sequence[int] = ()) -> Tensor:
    """OoD loss: multi-label soft margin of every foreground logit towards 0 (W-OoD ``train_cam_clustering.py``).

    ``L = (1/B) sum_i m_i (1/C) sum_c softplus(logit_ic)``; ``m_i = 0`` when the image's top class is in
    ``exclude_classes`` (the original hard-codes VOC "bottle"; here a config option, empty by default).

    Args:
        logits: (B, C) foreground logits of the (hardened) OoD batch.
        exclude_classes: 0-based foreground class indices whose top-1 OoD images are not trained.

    Returns:
        Tensor: scalar loss (divided by B, not by the number of kept images, as in the original).
    """
    if logits.dim() != 2:
        raise ValueError(f'wood_ood_loss: expected logits (B, C), got {tuple(logits.shape)}')
    per_sample = F.softplus(logits).mean(dim=1)  # = -log(1 - sigmoid(x)) averaged over classes
    if len(exclude_classes):
        top = logits.detach().argmax(dim=1)
        excl = torch.as_tensor(list(exclude_classes), device=logits.device)
        keep = ~(top[:, None] == excl[None, :]).any(dim=1)
        per_sample = per_sample * keep.to(per_sample.dtype)
    return per_sample.sum() / max(logits.shape[0], 1)


def harden_ood_inputs(logit_fn: Callable[[Tensor], Tensor], inputs: Tensor, step_size: float = 0.07) -> Tensor:
    """One "adversarial climb" step that makes OoD images look more like their top false-positive class.

    ``o' = clamp(o + step * g / max|g|, min(o), max(o))`` with ``g = d/do sum_i max_c logit_c(o_i)``; the max and the
    clamp bounds are global over the batch (W-OoD ``step/train_utils.py``, ``adv_climb``). Only the input
    gradient is taken (``torch.autograd.grad``), so no parameter gradients are left behind.

    Args:
        logit_fn: maps (B, 3, H, W) normalised images to (B, C) logits.
        inputs: (B, 3, H, W) normalised OoD images.
        step_size: the step (0.07, hard-coded in the original).

    Returns:
        Tensor: (B, 3, H, W) hardened images, detached.
    """
    x = inputs.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = logit_fn(x)
        obj = logits.max(dim=1).values.sum()
        (grad, ) = torch.autograd.grad(obj, x)
    scale = grad.abs().max()
    if scale > 0:
        x_new = inputs.detach() + step_size * grad / scale
    else:  # flat objective (e.g. all-ReLU-dead CAMs): nothing to climb
        x_new = inputs.detach().clone()
    return torch.clamp(x_new, inputs.min().item(), inputs.max().item()).detach()


@MODELS.register_module()
class WOoDMetricLoss(nn.Module):
    """Config wrapper of :func:`wood_metric_loss` with a loss weight (lambda = 0.007 in W-OoD).

    Args:
        loss_weight: lambda (``distance_lambda``).
        topk_ratio: ``ood_dist_topk``.
        pull_weight: weight of the pull term, ``None`` = C / K.
        loss_name: key in the loss dict.
    """

    def __init__(self,
                 loss_weight: float = 0.007,
                 topk_ratio: float = 0.2,
                 pull_weight: Optional[float] = None,
                 loss_name: str = 'loss_metric'):
        super().__init__()
        self.loss_weight = loss_weight
        self.topk_ratio = topk_ratio
        self.pull_weight = pull_weight
        self._loss_name = loss_name

    def forward(self, feats: Tensor, labels: Tensor, class_protos: Tensor, ood_protos: Tensor) -> Tensor:
        """Weighted L_M; see :func:`wood_metric_loss` for shapes."""
        loss, _ = wood_metric_loss(feats, labels, class_protos, ood_protos, self.topk_ratio, self.pull_weight)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        return self._loss_name


@MODELS.register_module()
class WOoDOoDLoss(nn.Module):
    """Config wrapper of :func:`wood_ood_loss` (mu = 0.25 in W-OoD).

    Args:
        loss_weight: mu (``ood_coeff``).
        exclude_classes: 0-based foreground classes excluded from the OoD loss (original: ``(4,)`` = VOC bottle);
            empty by default.
        loss_name: key in the loss dict.
    """

    def __init__(self, loss_weight: float = 0.25, exclude_classes: Sequence[int] = (), loss_name: str = 'loss_ood'):
        super().__init__()
        self.loss_weight = loss_weight
        self.exclude_classes = tuple(int(c) for c in exclude_classes)
        self._loss_name = loss_name

    def forward(self, logits: Tensor) -> Tensor:
        """Weighted OoD loss of (B, C) foreground logits."""
        return self.loss_weight * wood_ood_loss(logits, self.exclude_classes)

    @property
    def loss_name(self) -> str:
        return self._loss_name
