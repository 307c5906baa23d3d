"""BESTIE losses (BESTIE utils/loss.py): top-k hard-pixel CE, pixel-normalised weighted MSE / L1."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS

__all__ = [
    'deeplab_ce_loss', 'weighted_mse_loss', 'weighted_l1_loss', 'BestieDeepLabCELoss', 'BestieWeightedMSELoss',
    'BestieWeightedL1Loss'
]


def deeplab_ce_loss(logits: torch.Tensor, target: torch.Tensor, ignore_index: int = 255,
                    top_k_percent: float = 0.2) -> torch.Tensor:
    """Cross-entropy averaged over the ``top_k_percent`` largest pixel losses of the whole batch.

    Args:
        logits: (B, K, H, W).
        target: (B, H, W) long; ``ignore_index`` pixels contribute 0 (but still count in B·H·W).
        ignore_index: Ignored label.
        top_k_percent: Fraction in (0, 1]; 1 = plain mean over all pixels.

    Returns:
        torch.Tensor: scalar.
    """
    if not 0 < top_k_percent <= 1:
        raise ValueError(f'top_k_percent must be in (0, 1], got {top_k_percent}')
    pix = F.cross_entropy(logits, target.long(), ignore_index=ignore_index, reduction='none').reshape(-1)
    if top_k_percent < 1:
        k = max(int(top_k_percent * pix.numel()), 1)
        pix, _ = torch.topk(pix, k)
    return pix.mean()


def _weighted(diff: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    # denominator = number of pixels with w > 0, not channels (BESTIE utils/loss.py); empty → 0 with grad
    w = weight.expand_as(diff) if weight.shape[1] == 1 else weight
    n = (weight > 0).sum()
    total = (diff * w).sum()
    return total / n if n > 0 else total * 0.0


def weighted_mse_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Σ w·(pred − target)² / #{pixels with w > 0}.

    Args:
        pred, target: (B, K, H, W).
        weight: (B, 1, H, W) broadcast over K.
    """
    return _weighted((pred - target)**2, weight)


def weighted_l1_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Σ w·|pred − target| / #{pixels with w > 0}; shapes as :func:`weighted_mse_loss`."""
    return _weighted((pred - target).abs(), weight)


@MODELS.register_module()
class BestieDeepLabCELoss(nn.Module):
    """Module form of :func:`deeplab_ce_loss` (semantic branch, weight 1)."""

    def __init__(self, top_k_percent: float = 0.2, ignore_index: int = 255, loss_weight: float = 1.0):
        super().__init__()
        self.top_k_percent = top_k_percent
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * deeplab_ce_loss(logits, target, self.ignore_index, self.top_k_percent)


@MODELS.register_module()
class BestieWeightedMSELoss(nn.Module):
    """Module form of :func:`weighted_mse_loss` (centre branch, weight 200)."""

    def __init__(self, loss_weight: float = 200.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred, target, weight: Optional[torch.Tensor] = None):
        weight = torch.ones_like(pred[:, :1]) if weight is None else weight
        return self.loss_weight * weighted_mse_loss(pred, target, weight)


@MODELS.register_module()
class BestieWeightedL1Loss(nn.Module):
    """Module form of :func:`weighted_l1_loss` (offset branch, weight 0.01)."""

    def __init__(self, loss_weight: float = 0.01):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred, target, weight: Optional[torch.Tensor] = None):
        weight = torch.ones_like(pred[:, :1]) if weight is None else weight
        return self.loss_weight * weighted_l1_loss(pred, target, weight)
