"""Class-weighted cross-entropy that tolerates ignored pixels.

mmseg 1.2.2's ``CrossEntropyLoss(class_weight=...)`` indexes the weights with every label, the ignore index
(255) included, and fails with ``IndexError`` on any batch with void or padded pixels. This loss is PyTorch's
weighted cross-entropy: ``sum_i w[y_i] * ce_i / sum_i w[y_i]`` over the non-ignored pixels.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

__all__ = ['ClassBalancedCELoss']


@MODELS.register_module()
class ClassBalancedCELoss(nn.Module):
    """Cross-entropy with per-class weights (e.g. from ``tools/analysis_tools/class_frequency.py``).

    Args:
        class_weight: One weight per class (background included).
        loss_weight: Scale of the loss.
        loss_name: Key of the loss in the log (``'loss_ce'``, as mmseg's).
    """

    def __init__(self, class_weight: Sequence[float], loss_weight: float = 1.0, loss_name: str = 'loss_ce'):
        super().__init__()
        self.register_buffer('class_weight', torch.as_tensor(list(class_weight), dtype=torch.float32),
                             persistent=False)
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, weight: Optional[torch.Tensor] = None,
                ignore_index: int = 255, **kwargs) -> torch.Tensor:
        if cls_score.shape[1] != self.class_weight.numel():
            raise ValueError(f'ClassBalancedCELoss: {self.class_weight.numel()} class weights for '
                             f'{cls_score.shape[1]} classes')
        if not (label != ignore_index).any():
            return cls_score.sum() * 0
        return self.loss_weight * F.cross_entropy(cls_score, label.long(), weight=self.class_weight.to(cls_score),
                                                  ignore_index=ignore_index, reduction='mean')

    @property
    def loss_name(self) -> str:
        return self._loss_name
