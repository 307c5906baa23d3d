"""wsscoseg mask estimation for the target (VOC train) images with image-level labels (wsscoseg est_voc_train_masks.py).

For each image: at every scale in {0.7, 1.0, 1.3}, bilinear resize, normalise, zero-pad (= mean colour) bottom/right
to a multiple of 8, softmax of the Initial Mask Generator's logits, x8 bilinear upsampling, crop, bilinear resize to
H x W; **sum** the probabilities over scales; multiply by [1, y_1..y_C] (background kept, absent classes zeroed,
no renormalisation); argmax -> palette PNG in the VOC layout. No CRF, no ignore region (wsscoseg
est_voc_train_masks.py).
"""
import os.path as osp
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from .base import read_rgb

__all__ = ['estimate_probs', 'estimate_mask', 'estimate_masks']


def _lowres_probs(model, x: torch.Tensor) -> torch.Tensor:
    """(1, 3, H, W) -> (1, C, h, w) softmax of the low-resolution (merged) logits, or of mmseg logits."""
    if hasattr(model, 'lowres_logits'):
        return F.softmax(model.lowres_logits(x).float(), dim=1)
    meta = [dict(img_shape=tuple(x.shape[-2:]), ori_shape=tuple(x.shape[-2:]), pad_shape=tuple(x.shape[-2:]),
                 padding_size=[0, 0, 0, 0])]
    return F.softmax(model.encode_decode(x, meta).float(), dim=1)  # already at the input size


@torch.no_grad()
def estimate_probs(model, image: np.ndarray, scales: Sequence[float] = (0.7, 1.0, 1.3),
                   size_divisor: int = 8) -> np.ndarray:
    """Summed multi-scale class probabilities of one image (wsscoseg est_voc_train_masks.py + sum).

    Args:
        model: a :class:`WSSCosegSegmentor` (any mmseg ``EncoderDecoder`` works through ``encode_decode``).
        image: (H, W, 3) uint8 RGB.
        scales: Scale factors.
        size_divisor: Zero-padding multiple (the network's output stride).

    The x``size_divisor`` upsampling follows the model's ``test_cfg.upsample`` (``'deconv'`` by default, see
    :func:`~mmwsss.models.segmentors.wsscoseg.upsample_probs_x8`).

    Returns:
        np.ndarray: (C, H, W) float32, the sum over scales (each scale sums to 1 per pixel).
    """
    from mmwsss.models.segmentors.wsscoseg import upsample_probs_x8

    from .cam import image_to_input
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'estimate_probs: expected an (H, W, 3) RGB image, got shape {image.shape}')
    H, W = image.shape[:2]
    total = None
    for s in scales:
        h, w = max(1, int(round(H * s))), max(1, int(round(W * s)))
        im = image if (h, w) == (H, W) else cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
        x = image_to_input(model, im)
        ph, pw = (-h) % size_divisor, (-w) % size_divisor
        if ph or pw:  # zeros after normalisation = the mean colour (wsscoseg est_voc_train_masks.py)
            x = F.pad(x, (0, pw, 0, ph), value=0.0)
        probs = _lowres_probs(model, x)
        if probs.shape[-2:] != x.shape[-2:]:
            probs = upsample_probs_x8(probs, x.shape[-2:], factor=size_divisor,
                                      mode=(getattr(model, 'test_cfg', None) or {}).get('upsample', 'deconv'))
        probs = probs[..., :h, :w]
        if (h, w) != (H, W):
            probs = F.interpolate(probs, size=(H, W), mode='bilinear', align_corners=False)
        total = probs if total is None else total + probs
    return total[0].cpu().numpy().astype(np.float32)


def estimate_mask(probs: np.ndarray, fg_labels: Sequence[int]) -> np.ndarray:
    """Label filtering + argmax (wsscoseg est_voc_train_masks.py): background kept, classes not in the image zeroed.

    Args:
        probs: (C, H, W) (summed) probabilities.
        fg_labels: The image's classes as 0-based foreground indices.

    Returns:
        np.ndarray: (H, W) uint8 labels in 0..C-1.
    """
    C = probs.shape[0]
    keep = np.zeros(C, np.float32)
    keep[0] = 1.0
    for c in fg_labels:
        if not 0 <= int(c) < C - 1:
            raise ValueError(f'estimate_mask: foreground label {c} outside 0..{C - 2}')
        keep[int(c) + 1] = 1.0
    return (probs * keep[:, None, None]).argmax(0).astype(np.uint8)


def estimate_masks(model,
                   ids: Sequence[str],
                   img_dir: str,
                   labels: Dict[str, Sequence[int]],
                   out_dir: str,
                   scales: Sequence[float] = (0.7, 1.0, 1.3),
                   gt_dir: Optional[str] = None,
                   num_classes: Optional[int] = None,
                   palette: Optional[Sequence[int]] = None,
                   img_suffix: str = '.jpg',
                   resume: bool = True,
                   progress: bool = True,
                   stamp: Optional[dict] = None) -> Dict[str, object]:
    """Write ``<out_dir>/<id>.png`` estimated masks (atomic; finished files are skipped when ``resume``).

    Args:
        model: The trained Initial Mask Generator (eval mode is set here).
        ids: Image ids.
        img_dir: Folder of ``<id><img_suffix>`` images.
        labels: ``{id: [0-based foreground classes]}`` (e.g. ``train_cls.txt``).
        out_dir: Output folder (e.g. ``<data_root>/pseudo_masks/wsscoseg``).
        scales: Test scales.
        gt_dir: Optional GT folder: the mIoU of the estimated masks is returned.
        num_classes: Classes incl. background (needed with ``gt_dir``; default: the model's).
        palette: Flat 768-int palette for the PNGs.
        resume: Skip existing outputs.
        progress: Show a progress bar.
        stamp: Run stamp tying the folder to its inputs (:func:`mmwsss.stages.base.run_per_image`).

    Returns:
        dict: ``written``, ``skipped`` and, with ``gt_dir``, ``miou`` and ``iou`` (per class).
    """
    from mmwsss.utils import atomic_save_png

    from .base import run_per_image
    from .cam import eval_label_dir
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'{img_dir}: image folder not found')
    missing = [i for i in ids if i not in labels]
    if missing:
        raise ValueError(f'no image-level labels for {len(missing)} ids, e.g. {missing[:3]}')
    model.eval()

    def compute(name: str) -> np.ndarray:
        img = read_rgb(osp.join(img_dir, name + img_suffix))
        return estimate_mask(estimate_probs(model, img, scales), labels[name])

    result: Dict[str, object] = dict(run_per_image(ids, out_dir, '.png', compute,
                                                   lambda path, mask: atomic_save_png(path, mask, palette), resume,
                                                   stamp, progress))
    if gt_dir is not None:
        n = num_classes or getattr(model, 'num_classes', None)
        if n is None:
            raise ValueError('estimate_masks: pass num_classes to score against gt_dir')
        miou, iou = eval_label_dir(out_dir, gt_dir, ids, n)
        result.update(miou=miou, iou=iou)
    return result
