"""Offline CAM generation and evaluation (W-OoD step/make_cam.py).

``make_cams`` writes one ``<id>.npy`` per image holding ``{'keys', 'cam', 'high_res'}``: the 0-based foreground
classes of the image, the stride-4 CAMs (K, ceil(H/4), ceil(W/4)) and the full-size CAMs (K, H, W), each class map
divided by its max. ``eval_cams`` sweeps background thresholds; ``eval_label_dir`` scores pseudo masks.
"""
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..datasets.transforms.resize import pil_rescale
from ..evaluation.functional import intersect_and_union, iou_from_areas
from ..models.utils.image_input import image_to_input
from .base import read_rgb

__all__ = [
    'image_to_input', 'compute_cam', 'make_cams', 'eval_cams', 'eval_label_dir', 'read_cls_labels'
]




CAM_RESIZES = ('pil_bicubic', 'bilinear')
CAM_HIGH_RES = ('strided_up', 'direct')


def rescale_image(image: np.ndarray, scale: float) -> np.ndarray:
    """IRN's ``imutils.pil_rescale(img, scale, order=3)``: PIL bicubic to ``(round(H * s), round(W * s))``."""
    return pil_rescale(image, scale, 3)


def cam_layout(image: np.ndarray, keys: Sequence[int], high_res: str):
    """Sorted unique ``keys``, the strided size ceil(H/4) x ceil(W/4), the high-res working size (rounded up to 16
    for ``'strided_up'``, H x W for ``'direct'``) and, when there are no keys, the empty result."""
    h, w = image.shape[:2]
    keys = np.asarray(sorted(set(int(k) for k in keys)), dtype=np.int64)
    strided_size = ((h - 1) // 4 + 1, (w - 1) // 4 + 1)
    high_size = (((h - 1) // 16 + 1) * 16, ((w - 1) // 16 + 1) * 16) if high_res == 'strided_up' else (h, w)
    empty = None if len(keys) else dict(keys=keys, cam=np.zeros((0, *strided_size), np.float32),
                                        high_res=np.zeros((0, h, w), np.float32))
    return keys, strided_size, high_size, empty


@torch.no_grad()
def compute_cam(model,
                image: np.ndarray,
                keys: Sequence[int],
                scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                flip: bool = True,
                resize: str = 'pil_bicubic',
                high_res: str = 'strided_up') -> Dict[str, np.ndarray]:
    """Multi-scale x flip CAMs of one image, restricted to ``keys`` and max-normalised per class.

    As IRN's / W-OoD's ``step/make_cam.py`` by default: each scale's input is the uint8 image rescaled with PIL
    bicubic (``resize='pil_bicubic'``) and then normalised; each scale's CAM (plus the un-flipped CAM of its flip)
    is resized bilinearly to the strided size, and for ``high_res`` to the size rounded up to a multiple of 16 and
    cropped to H x W (``high_res='strided_up'``). ``resize='bilinear'`` rescales the normalised image instead;
    ``high_res='direct'`` resizes straight to H x W (the two agree when H and W are multiples of 16).

    Args:
        model: a :class:`mmwsss.models.segmentors.CAMClassifier` (or subclass).
        image: (H, W, 3) uint8 RGB.
        keys: 0-based foreground classes of the image (its image-level labels).
        scales: input scales.
        flip: add horizontally flipped inputs.
        resize: ``'pil_bicubic'`` (IRN) or ``'bilinear'``.
        high_res: ``'strided_up'`` (IRN) or ``'direct'``.

    Returns:
        dict: ``keys`` (K,) int64, ``cam`` (K, ceil(H/4), ceil(W/4)) float32, ``high_res`` (K, H, W) float32.
    """
    from mmwsss.models.segmentors.cam_classifier import normalize_cams
    if resize not in CAM_RESIZES or high_res not in CAM_HIGH_RES:
        raise ValueError(f'compute_cam: resize must be one of {CAM_RESIZES} and high_res one of {CAM_HIGH_RES}, '
                         f'got {resize!r}, {high_res!r}')
    h, w = image.shape[:2]
    keys, strided_size, high_size, empty = cam_layout(image, keys, high_res)
    if empty is not None:
        return empty
    if resize == 'bilinear':
        strided, high = model.multiscale_cam(image_to_input(model, image), scales, flip,
                                             out_sizes=[strided_size, high_size])
    else:
        strided, high = None, None
        for s in scales:
            st, hi = model.multiscale_cam(image_to_input(model, rescale_image(image, s)), (1.0, ), flip,
                                          out_sizes=[strided_size, high_size])
            strided, high = (st, hi) if strided is None else (strided + st, high + hi)
    high = high[..., :h, :w]
    sel = torch.as_tensor(keys, device=strided.device)
    strided = normalize_cams(strided[0, sel])
    high = normalize_cams(high[0, sel])
    return dict(keys=keys, cam=strided.cpu().numpy().astype(np.float32),
                high_res=high.cpu().numpy().astype(np.float32))


def read_cls_labels(cls_file: str) -> Dict[str, List[int]]:
    """``"<id> c1 c2 ..."`` lines (0-based foreground indices) -> {id: [c1, c2, ...]}."""
    from ..datasets.voc import read_cls_label_file
    return read_cls_label_file(cls_file)


def make_cams(model,
              ids: Sequence[str],
              img_dir: str,
              labels: Dict[str, Sequence[int]],
              out_dir: str,
              scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
              flip: bool = True,
              img_suffix: str = '.jpg',
              resume: bool = True,
              resize: str = 'pil_bicubic',
              high_res: str = 'strided_up',
              stamp: Optional[dict] = None,
              advcam: Optional[dict] = None) -> int:
    """Write ``<out_dir>/<id>.npy`` CAM dicts (:func:`mmwsss.stages.base.run_per_image`: atomic, resumable,
    tied to ``stamp``).

    ``resize`` and ``high_res`` are passed to :func:`compute_cam` (defaults: as IRN's ``step/make_cam.py``).
    ``advcam`` (a dict of :func:`mmwsss.stages.advcam.compute_advcam` arguments: ``adv_iter``, ``coeff``,
    ``step``, ``score_th``) writes AdvCAMs instead (W-OoD ``get_advcam.py``; needs ``flip`` and the PIL-bicubic
    per-scale input).

    Returns:
        int: number of files written.
    """
    from mmwsss.utils import atomic_save_npy

    from .base import run_per_image
    model.eval()
    if advcam is not None and (not flip or resize != 'pil_bicubic'):
        raise ValueError('make_cams: AdvCAM runs on the image and its flip with the PIL-bicubic per-scale input '
                         f'(flip=True, resize="pil_bicubic"); got flip={flip}, resize={resize!r}')

    def compute(name: str) -> np.ndarray:
        if name not in labels:
            raise ValueError(f'{name}: no image-level labels for this id in the label file')
        img = read_rgb(osp.join(img_dir, name + img_suffix))
        if advcam is not None:
            from .advcam import compute_advcam
            return np.array(compute_advcam(model, img, labels[name], scales, high_res=high_res, **advcam),
                            dtype=object)
        return np.array(compute_cam(model, img, labels[name], scales, flip, resize, high_res), dtype=object)

    return run_per_image(ids, out_dir, '.npy', compute, atomic_save_npy, resume, stamp)['written']


def _read_gt(path: str) -> np.ndarray:
    from PIL import Image
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: ground-truth mask not found')
    return np.asarray(Image.open(path))


def eval_cams(cam_dir: str,
              gt_dir: str,
              ids: Sequence[str],
              num_classes: int,
              thresholds: Iterable[float] = tuple(np.round(np.arange(0.05, 0.55, 0.05), 2)),
              key: str = 'high_res') -> Dict[str, object]:
    """CAM seed mIoU over a sweep of background thresholds (W-OoD step/make_cam.py).

    Args:
        cam_dir: folder of ``<id>.npy`` CAM dicts.
        gt_dir: folder of ``<id>.png`` GT masks.
        ids: ids to score.
        num_classes: classes incl. background.
        thresholds: background scores to try.
        key: which CAM to use (``'high_res'``).

    Returns:
        dict: ``results`` {thr: (mIoU, per-class IoU array)}, ``best_thr``, ``best_miou``, ``best_iou``, and
        ``peak_on_object`` (num_classes,): per class, the share of its CAMs whose maximum lies on a GT pixel of
        that class (NaN for background and classes without CAMs). It measures context bias, which the mIoU
        hides: a CAM that peaks on the water around a boat can still overlap the boat.
    """
    thresholds = [float(t) for t in thresholds]
    areas = {t: np.zeros((4, num_classes), np.int64) for t in thresholds}
    on_obj, n_cams = np.zeros(num_classes, np.int64), np.zeros(num_classes, np.int64)
    for name in ids:
        path = osp.join(cam_dir, name + '.npy')
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: CAM file not found')
        d = np.load(path, allow_pickle=True).item()
        gt = _read_gt(osp.join(gt_dir, name + '.png'))
        cams = np.asarray(d[key], np.float32)
        lut = np.pad(np.asarray(d['keys'], np.int64) + 1, (1, 0))
        if cams.shape[0] and cams.shape[-2:] != gt.shape:
            raise ValueError(f'{path}: CAM size {cams.shape[-2:]} != GT size {gt.shape}')
        for c, cam in zip(lut[1:], cams):
            y, x = np.unravel_index(int(cam.argmax()), cam.shape)
            n_cams[c] += 1
            on_obj[c] += int(gt[y, x] == c)
        for t in thresholds:
            if cams.shape[0]:
                pred = lut[np.concatenate([np.full((1, *gt.shape), t, np.float32), cams], 0).argmax(0)]
            else:
                pred = np.zeros(gt.shape, np.int64)
            areas[t] += intersect_and_union(pred, gt, num_classes)
    results = {}
    for t in thresholds:
        iou = iou_from_areas(areas[t])
        results[t] = (float(np.nanmean(iou)), iou)
    best = max(thresholds, key=lambda t: results[t][0])
    peak = np.where(n_cams > 0, on_obj / np.maximum(n_cams, 1), np.nan)
    peak[0] = np.nan
    return dict(results=results, best_thr=best, best_miou=results[best][0], best_iou=results[best][1],
                peak_on_object=peak)


def eval_label_dir(pred_dir: str, gt_dir: str, ids: Sequence[str], num_classes: int) -> Tuple[float, np.ndarray]:
    """mIoU of PNG label maps (pseudo masks) against GT; predicted 255 counts as background (IRN step/eval_sem_seg.py).

    Returns:
        tuple: mIoU and the per-class IoU array.
    """
    areas = np.zeros((4, num_classes), np.int64)
    for name in ids:
        pred = _read_gt(osp.join(pred_dir, name + '.png')).astype(np.int64)
        gt = _read_gt(osp.join(gt_dir, name + '.png'))
        areas += intersect_and_union(pred, gt, num_classes)
    iou = iou_from_areas(areas)
    return float(np.nanmean(iou)), iou


def gt_cam_checkpoint_score(model,
                            ids: Sequence[str],
                            img_dir: str,
                            gt_dir: str,
                            labels: Dict[str, Sequence[int]],
                            num_classes: int,
                            thresholds: Sequence[float] = (0.06, 0.08, 0.10, 0.12),
                            scales: Sequence[float] = (0.5, 1.0, 1.5, 2.0),
                            accumulate: bool = True,
                            img_suffix: str = '.jpg') -> Tuple[float, List[float]]:
    """The score by which W-OoD picks its classifier checkpoint: CAM mIoU against GT masks (W-OoD
    ``step/train_cam_clustering.py`` ``sub_cam_eval`` / ``eval_cam_sub``, on VOC ``train``).

    CAMs (``scales`` x flip, ``high_res``) of every image, a constant background score per threshold, argmax,
    mIoU over the classes present (NaN classes left out); the score is the best over the thresholds. The
    original does not reset its prediction and label lists between thresholds, so the mIoU at the i-th
    threshold counts the predictions of thresholds 1..i together (``accumulate=True``, the original);
    ``accumulate=False`` scores each threshold alone.

    Returns:
        tuple: the score and the mIoU at each threshold (in ``thresholds`` order).
    """
    areas = [np.zeros((4, num_classes), np.int64) for _ in thresholds]
    for name in ids:
        image = read_rgb(osp.join(img_dir, name + img_suffix))
        cams = compute_cam(model, image, labels[name], scales, True)
        gt = _read_gt(osp.join(gt_dir, name + '.png'))
        lut = np.pad(cams['keys'] + 1, (1, 0))
        for i, t in enumerate(thresholds):
            score = np.concatenate([np.full((1, *gt.shape), t, np.float32), cams['high_res']], 0)
            areas[i] += intersect_and_union(lut[score.argmax(0)], gt, num_classes)
    mious, total = [], np.zeros((4, num_classes), np.int64)
    for a in areas:
        total = total + a if accumulate else a
        mious.append(float(np.nanmean(iou_from_areas(total))))
    return max(mious), mious
