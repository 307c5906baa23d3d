"""PAM peak extraction and BESTIE point files (BESTIE PAM/models/classifier.py; utils/LoadData.py)."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from mmwsss.datasets.points import read_points, write_points

__all__ = ['extract_peaks', 'normalised_cams', 'image_peaks', 'make_peaks', 'peak_quality', 'evaluate_points']


def normalised_cams(cam: torch.Tensor, out_size: Tuple[int, int], img_labels: Sequence[int],
                    cam_flip: Optional[torch.Tensor] = None) -> torch.Tensor:
    """CAM post-processing for peak extraction (BESTIE PAM/models/classifier.py).

    Args:
        cam: (C, h, w) ReLU'd class maps of the image.
        out_size: Original ``(H, W)``.
        img_labels: 0-based foreground classes present (others are zeroed).
        cam_flip: Optional (C, h, w) maps of the h-flipped image (un-flipped here and averaged).

    Returns:
        torch.Tensor: (C, H, W) in [0, 1], each present class divided by its max (+1e-5), then
        3×3 average-pooled.
    """
    mask = torch.zeros(cam.shape[0], 1, 1, dtype=cam.dtype, device=cam.device)
    mask[list(img_labels)] = 1

    def norm(c):
        c = F.interpolate((c * mask)[None], size=out_size, mode='bilinear', align_corners=False)[0]
        return c / (c.flatten(1).max(1)[0][:, None, None] + 1e-5)

    out = norm(cam)
    if cam_flip is not None:
        out = 0.5 * (out + norm(cam_flip).flip(-1))
    return F.avg_pool2d(out[None], 3, 1, 1)[0]


def extract_peaks(cams: torch.Tensor, img_labels: Sequence[int], kernel: int = 15, topk: int = 25,
                  conf_thresh: float = 0.1) -> List[Tuple[int, int, int, float]]:
    """Max-pool NMS peaks of normalised CAMs (BESTIE PAM/models/classifier.py).

    Args:
        cams: (C, H, W) from :func:`normalised_cams`.
        img_labels: Classes to search (GT classes only).
        kernel: NMS window (15).
        topk: Peaks kept per class (25), best first.
        conf_thresh: Keep peaks with value >= this (0.1).

    Returns:
        list of ``(x, y, cls, conf)``.
    """
    pooled = F.max_pool2d(cams[None], kernel, 1, (kernel - 1) // 2)[0]
    w = cams.shape[2]
    out = []
    for c in sorted(set(int(v) for v in img_labels)):
        cand = torch.where(cams[c] == pooled[c], cams[c], torch.zeros_like(cams[c])).flatten()
        vals, idx = torch.topk(cand, min(topk, cand.numel()))
        for v, i in zip(vals.tolist(), idx.tolist()):
            if v < conf_thresh:
                break
            out.append((i % w, i // w, c, float(v)))
    return out


@torch.no_grad()
def image_peaks(model,
                img: np.ndarray,
                img_labels: Sequence[int],
                input_size: Tuple[int, int] = (321, 321),
                kernel: int = 15,
                topk: int = 25,
                conf_thresh: float = 0.1) -> List[Tuple[int, int, int, float]]:
    """Peaks of one image: PAM CAMs of the image resized to ``input_size`` and of its flip, normalised at the
    image size (:func:`normalised_cams`), then :func:`extract_peaks`.

    Args:
        model: a :class:`mmwsss.det.models.BestiePAMClassifier` (eval mode).
        img: (H, W, 3) uint8 BGR image (as ``cv2.imread``).
        img_labels: 0-based foreground classes of the image.
        input_size: (h, w) network input.
        kernel, topk, conf_thresh: :func:`extract_peaks` settings.

    Returns:
        list: ``(x, y, cls, conf)`` points in image pixels.
    """
    h, w = img.shape[:2]
    in_h, in_w = input_size
    x = cv2.resize(img, (in_w, in_h), interpolation=cv2.INTER_LINEAR)
    x = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))
    batch = model.data_preprocessor(dict(inputs=[x, x.flip(-1)], data_samples=None), False)['inputs']
    cam = model.cam(batch.to(next(model.parameters()).device)).cpu()
    cams = normalised_cams(cam[0], (h, w), img_labels, cam[1])
    return extract_peaks(cams, img_labels, kernel, topk, conf_thresh)


def make_peaks(model,
               ids: Sequence[str],
               img_dir: str,
               labels: Dict[str, Sequence[int]],
               out_dir: str,
               img_suffix: str = '.jpg',
               resume: bool = True,
               stamp: Optional[dict] = None,
               **peak_cfg) -> Dict[str, int]:
    """Write ``<out_dir>/<id>.txt`` point files of every id (:func:`mmwsss.stages.base.run_per_image`:
    atomic, resumable, tied to ``stamp``).

    Args:
        model: a PAM classifier (eval mode is set here).
        ids: image ids.
        img_dir: folder of ``<id><img_suffix>`` images.
        labels: ``{id: [0-based foreground classes]}``; an id without labels gets no peaks.
        out_dir: output folder.
        **peak_cfg: ``input_size``, ``kernel``, ``topk``, ``conf_thresh`` of :func:`image_peaks`.

    Returns:
        dict: ``written``, ``skipped`` and ``peaks_written`` (points in the files written now).
    """
    from mmwsss.stages.base import run_per_image
    model.eval()
    count = dict(peaks=0)

    def compute(name: str):
        path = osp.join(img_dir, name + img_suffix)
        img = cv2.imread(path)
        if img is None:
            raise FileNotFoundError(f'{path}: cannot read image')
        peaks = image_peaks(model, img, labels.get(name, []), **peak_cfg)
        count['peaks'] += len(peaks)
        return peaks

    result = run_per_image(ids, out_dir, '.txt', compute, write_points, resume, stamp)
    return dict(result, peaks_written=count['peaks'])


def peak_quality(points: np.ndarray, sem_map: np.ndarray, min_area: int = 50) -> dict:
    """How well instance cues serve the knowledge transfer of one image, against its GT class map.

    A cue is a hit when it lies on a pixel of its own class. Each class component of ``sem_map`` with at
    least ``min_area`` pixels counts its cues as the pseudo-target rule does (BESTIE utils/utils.py,
    pseudo_label_generation: exactly one cue = one instance, 0 or >= 2 = rejected, weight 0), and the foreground pixels
        of the accepted components are the
    share of the image that gets instance targets.

    Args:
        points: (N, 4) ``x, y, cls, conf`` in ``sem_map`` pixels, ``cls`` 0-based (as :func:`read_points`).
        sem_map: (H, W) class map, 0 background, 1.. foreground, 255 ignore.
        min_area: Smallest component that gets targets.

    Returns:
        dict: integer counts ``points``, ``hits``, ``components``, ``comp_0``, ``comp_1``, ``comp_many``,
        ``fg_pixels``, ``accepted_pixels``; sum them over images.
    """
    from ..datasets.transforms.bestie_targets import cue_components
    h, w = sem_map.shape
    points = np.asarray(points).reshape(-1, 4)
    out = dict(points=len(points), hits=0, components=0, comp_0=0, comp_1=0, comp_many=0,
               fg_pixels=int(((sem_map > 0) & (sem_map < 255)).sum()), accepted_pixels=0)
    xs, ys, cls = (points[:, i].astype(np.int64) for i in range(3))
    inside = (xs >= 0) & (ys >= 0) & (xs < w) & (ys < h)  # as the target rule: outside cues are dropped
    xs, ys, cls = xs[inside], ys[inside], cls[inside]
    out['hits'] = int((sem_map[ys, xs] == cls + 1).sum())
    for c in np.unique(sem_map):
        if c in (0, 255):
            continue
        sel = cls == c - 1
        for _, _, area, n_cues, _ in cue_components(sem_map, int(c) - 1, xs[sel], ys[sel], min_area):
            out['components'] += 1
            out['comp_0' if n_cues == 0 else 'comp_1' if n_cues == 1 else 'comp_many'] += 1
            if n_cues == 1:
                out['accepted_pixels'] += area
    return out


def evaluate_points(points_dir: str, seg_dir: str, ids: Sequence[str], conf_thr: Optional[float] = 0.7,
                    min_area: int = 50, num_classes: Optional[int] = None) -> dict:
    """:func:`peak_quality` summed over ``ids`` (``<points_dir>/<id>.txt`` against ``<seg_dir>/<id>.png``).

    Returns:
        dict: the summed counts plus ``images``, ``hit_rate`` (share of cues on their own class),
        ``accepted_rate`` (share of components with exactly one cue) and ``accepted_fg_share`` (share of
        foreground pixels that get instance targets), the last three in percent.
    """
    from PIL import Image
    total = dict(images=0, points=0, hits=0, components=0, comp_0=0, comp_1=0, comp_many=0, fg_pixels=0,
                 accepted_pixels=0)
    for name in ids:
        seg_path = os.path.join(seg_dir, name + '.png')
        if not os.path.isfile(seg_path):
            raise FileNotFoundError(f'{seg_path}: class map not found')
        sem = np.array(Image.open(seg_path))
        if sem.ndim != 2:
            raise ValueError(f'{seg_path}: expected a single-channel class map, got shape {sem.shape}')
        q = peak_quality(read_points(os.path.join(points_dir, name + '.txt'), conf_thr, num_classes), sem,
                         min_area)
        total['images'] += 1
        for k, v in q.items():
            total[k] += v

    def pct(a, b):
        return round(100.0 * a / b, 2) if b else 0.0

    total.update(hit_rate=pct(total['hits'], total['points']),
                 accepted_rate=pct(total['comp_1'], total['components']),
                 accepted_fg_share=pct(total['accepted_pixels'], total['fg_pixels']))
    return total
