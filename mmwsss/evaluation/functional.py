"""Functional metric helpers on numpy arrays (no registry, no runner): confusion matrices and IoU."""
import numpy as np

__all__ = ['confusion_matrix', 'iou_from_confusion']


def confusion_matrix(pred: np.ndarray, gt: np.ndarray, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """(num_classes, num_classes) int64 confusion (rows = GT, cols = prediction), GT ``ignore_index`` skipped."""
    if pred.shape != gt.shape:
        raise ValueError(f'confusion_matrix: prediction {pred.shape} and GT {gt.shape} differ in shape')
    m = (gt != ignore_index) & (gt < num_classes)
    p = pred[m].astype(np.int64)
    p[(p < 0) | (p >= num_classes)] = 0  # IRN eval: predicted 255 (unsure) counts as background
    return np.bincount(gt[m].astype(np.int64) * num_classes + p, minlength=num_classes**2).reshape(
        num_classes, num_classes)


def iou_from_confusion(conf: np.ndarray) -> np.ndarray:
    """Per-class IoU = TP / (GT + Pred - TP); NaN for classes absent from both."""
    tp = np.diag(conf).astype(np.float64)
    denom = conf.sum(0) + conf.sum(1) - tp
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(denom > 0, tp / np.maximum(denom, 1), np.nan)
