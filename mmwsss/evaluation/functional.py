"""Functional metric helpers on label maps (no registry, no runner), built on mmseg's
``IoUMetric.intersect_and_union``."""
from typing import Union

import numpy as np
import torch

__all__ = ['intersect_and_union', 'iou_from_areas']

ArrayLike = Union[np.ndarray, torch.Tensor]


def intersect_and_union(pred: ArrayLike, gt: ArrayLike, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """Per-class areas of one prediction, as mmseg's ``IoUMetric.intersect_and_union`` counts them.

    Two conventions of the WSSS evaluations come first: a predicted value outside ``[0, num_classes)`` (255,
    "unsure", in IRN's pseudo masks) counts as background, as in IRN's evaluation; a GT value outside the classes
    is skipped like ``ignore_index``.

    Args:
        pred: (H, W) integer prediction.
        gt: (H, W) integer ground truth.
        num_classes: classes including background.
        ignore_index: GT value to skip.

    Returns:
        np.ndarray: (4, num_classes) int64 rows ``intersect, union, pred, gt`` (sum them over images, then
        :func:`iou_from_areas`).
    """
    from mmseg.evaluation.metrics import IoUMetric
    pred, gt = torch.as_tensor(np.asarray(pred)).long(), torch.as_tensor(np.asarray(gt)).long()
    if pred.shape != gt.shape:
        raise ValueError(f'intersect_and_union: prediction {tuple(pred.shape)} and GT {tuple(gt.shape)} differ in '
                         'shape')
    pred = torch.where((pred < 0) | (pred >= num_classes), torch.zeros_like(pred), pred)
    gt = torch.where(gt >= num_classes, torch.full_like(gt, ignore_index), gt)
    areas = IoUMetric.intersect_and_union(pred, gt, num_classes, ignore_index)
    return torch.stack(areas).round().long().numpy()


def iou_from_areas(areas: np.ndarray) -> np.ndarray:
    """Per-class IoU = intersect / union from (summed) :func:`intersect_and_union` areas; NaN for classes absent
    from both prediction and GT."""
    inter, union = np.asarray(areas[0], np.float64), np.asarray(areas[1], np.float64)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(union > 0, inter / np.maximum(union, 1), np.nan)
