"""VOC instance-segmentation AP as chainercv's ``eval_instance_segmentation_voc`` (BESTIE main.py).

Matching per image and class: predictions sorted by score, each matched to the GT of maximal mask
IoU; TP iff IoU >= thr and that GT is not taken yet (no fallback to the second-best GT). AP per
class with the all-point interpolation (``use_07_metric=False``) or the VOC07 11-point rule;
mAP = nanmean over classes (a class never seen in GT → NaN).
"""
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

__all__ = ['mask_iou', 'match_image', 'voc_ap', 'accumulate_ap', 'load_voc_instance_gt']


def mask_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU between two mask sets.

    Args:
        a: (N, H, W) bool.
        b: (K, H, W) bool.

    Returns:
        np.ndarray: (N, K) float64.
    """
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f'mask sizes differ: {a.shape[1:]} vs {b.shape[1:]}')
    af = a.reshape(len(a), -1).astype(np.float64)
    bf = b.reshape(len(b), -1).astype(np.float64)
    inter = af @ bf.T
    union = af.sum(1)[:, None] + bf.sum(1)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def match_image(pred_masks: np.ndarray, pred_labels: np.ndarray, pred_scores: np.ndarray,
                gt_masks: np.ndarray, gt_labels: np.ndarray,
                iou_thrs: Sequence[float]) -> Dict:
    """Per-image matching statistics for several IoU thresholds.

    Args:
        pred_masks: (N, H, W) bool; pred_labels (N,); pred_scores (N,).
        gt_masks: (K, H, W) bool; gt_labels (K,).
        iou_thrs: IoU thresholds.

    Returns:
        dict: ``n_pos`` {label: count}, ``score`` {label: list}, ``match`` {thr: {label: list of 0/1}}.
    """
    pred_labels = np.asarray(pred_labels).reshape(-1)
    gt_labels = np.asarray(gt_labels).reshape(-1)
    pred_scores = np.asarray(pred_scores, dtype=np.float64).reshape(-1)
    out = dict(n_pos={}, score={}, match={t: {} for t in iou_thrs})
    for lab in np.unique(np.concatenate([pred_labels, gt_labels]).astype(np.int64)):
        pm = pred_masks[pred_labels == lab]
        ps = pred_scores[pred_labels == lab]
        order = ps.argsort()[::-1]
        pm, ps = pm[order], ps[order]
        gm = gt_masks[gt_labels == lab]
        lab = int(lab)
        out['n_pos'][lab] = len(gm)
        out['score'][lab] = ps.tolist()
        if len(pm) == 0:
            for t in iou_thrs:
                out['match'][t][lab] = []
            continue
        if len(gm) == 0:
            for t in iou_thrs:
                out['match'][t][lab] = [0] * len(pm)
            continue
        iou = mask_iou(pm, gm)
        best = iou.argmax(axis=1)
        best_iou = iou.max(axis=1)
        for t in iou_thrs:
            taken = np.zeros(len(gm), bool)
            m = []
            for g, v in zip(best, best_iou):
                if v >= t and not taken[g]:
                    m.append(1)
                    taken[g] = True
                else:
                    # chainercv marks the GT as taken even when the duplicate is a FP; same effect
                    m.append(0)
            out['match'][t][lab] = m
    return out


def voc_ap(prec: np.ndarray, rec: np.ndarray, use_07_metric: bool = False) -> float:
    """VOC AP from precision/recall arrays (recall sorted ascending by score order)."""
    if use_07_metric:
        ap = 0.0
        for t in np.arange(0.0, 1.1, 0.1):
            p = np.max(np.nan_to_num(prec)[rec >= t]) if np.sum(rec >= t) else 0.0
            ap += p / 11
        return float(ap)
    mpre = np.concatenate(([0.0], np.nan_to_num(prec), [0.0]))
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def accumulate_ap(per_image: List[Dict], iou_thr: float, num_classes: Optional[int] = None,
                  use_07_metric: bool = False) -> np.ndarray:
    """Per-class AP over a data set from :func:`match_image` results.

    Args:
        per_image: List of :func:`match_image` outputs (must contain ``iou_thr``).
        iou_thr: Threshold to read.
        num_classes: Length of the output (default: max label seen + 1).
        use_07_metric: VOC07 11-point AP.

    Returns:
        np.ndarray: (num_classes,) AP, NaN for classes without any GT instance.
    """
    n_pos = defaultdict(int)
    score = defaultdict(list)
    match = defaultdict(list)
    for r in per_image:
        for lab, n in r['n_pos'].items():
            n_pos[lab] += n
            score[lab].extend(r['score'][lab])
            match[lab].extend(r['match'][iou_thr][lab])
    n_cls = num_classes if num_classes is not None else (max(n_pos) + 1 if n_pos else 0)
    ap = np.full(n_cls, np.nan)
    for lab in range(n_cls):
        if lab not in n_pos or n_pos[lab] == 0:
            continue
        s = np.asarray(score[lab])
        m = np.asarray(match[lab], dtype=np.int64)
        order = s.argsort(kind='stable')[::-1]
        m = m[order]
        tp = np.cumsum(m == 1)
        fp = np.cumsum(m == 0)
        with np.errstate(divide='ignore', invalid='ignore'):
            prec = tp / (fp + tp)
        rec = tp / n_pos[lab]
        ap[lab] = voc_ap(prec, rec, use_07_metric)
    return ap


def load_voc_instance_gt(obj_png: str, cls_png: str, num_classes: Optional[int] = None):
    """GT instances from VOC ``SegmentationObject`` + ``SegmentationClass`` PNGs (chainercv rules).

    Instance ids 0 and 255 are dropped; the class is the one under the instance in the class map.

    Returns:
        tuple: masks (K, H, W) bool and labels (K,) int64, 0-based foreground classes.
    """
    try:
        inst = np.array(Image.open(obj_png), dtype=np.int64)
    except FileNotFoundError:
        raise FileNotFoundError(f'{obj_png}: instance GT (SegmentationObject) not found') from None
    try:
        sem = np.array(Image.open(cls_png), dtype=np.int64)
    except FileNotFoundError:
        raise FileNotFoundError(f'{cls_png}: class GT (SegmentationClass) not found') from None
    if inst.shape != sem.shape:
        raise ValueError(f'{obj_png}: shape {inst.shape} differs from {cls_png} {sem.shape}')
    masks, labels = [], []
    for iid in np.unique(inst):
        if iid == 0 or iid == 255:
            continue
        m = inst == iid
        vals = sem[m]
        vals = vals[(vals != 255) & (vals != 0)]
        if vals.size == 0:
            continue
        lab = int(np.bincount(vals).argmax()) - 1
        if num_classes is not None and not 0 <= lab < num_classes:
            raise ValueError(f'{cls_png}: class {lab + 1} outside 1..{num_classes}')
        masks.append(m)
        labels.append(lab)
    h, w = inst.shape
    if not masks:
        return np.zeros((0, h, w), bool), np.zeros(0, np.int64)
    return np.stack(masks), np.asarray(labels, np.int64)
