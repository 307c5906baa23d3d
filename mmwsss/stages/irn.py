"""IRN stage of the W-OoD pipeline: confident seeds, inter-pixel affinities, random walk, pseudo masks.

IRN (Ahn et al., CVPR 2019; jiwoon-ahn/irn ``step/``), as used by W-OoD. The path/affinity primitives live in
:mod:`mmwsss.models.utils.irn_affinity`. Heavy deps (CRF) are imported lazily inside the functions that need them.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from mmwsss.models.utils.irn_affinity import (affinity_labels, affinity_matrix, dense_affinity, edge_to_affinity,
                                              path_offsets)

from .base import read_rgb

__all__ = [
    'path_offsets', 'edge_to_affinity', 'affinity_labels', 'dense_affinity', 'transition_matrix', 'random_walk',
    'cams_to_ir_label', 'rw_to_sem_seg_label', 'sem_seg_label', 'make_ir_labels', 'make_sem_seg_labels',
    'ir_label_stats'
]


def transition_matrix(edge: Tensor, radius: int = 5, beta: float = 10.0) -> Tensor:
    """Column-normalised random-walk transition matrix (sparse COO) from a boundary map.

    ``A_ij = aff_ij^beta`` for neighbours within ``radius`` (both directions), ``A_ii = 1``;
    ``T = A / sum_i A_ij`` (column sums 1), as IRN's ``to_transition_matrix`` (``misc/indexing.py``).

    Args:
        edge: (h, w) boundary probabilities.
        radius: neighbourhood radius (5).
        beta: affinity exponent (10).

    Returns:
        Tensor: sparse (h*w, h*w) float tensor.
    """
    aff = affinity_matrix(edge, radius, beta)
    cols = aff.indices()[1]
    vals = aff.values()
    colsum = torch.zeros(aff.shape[1], device=vals.device).index_add_(0, cols, vals)
    return torch.sparse_coo_tensor(aff.indices(), vals / colsum[cols], aff.shape, is_coalesced=True,
                                   check_invariants=False)


def random_walk(cams: Tensor,
                edge: Tensor,
                beta: float = 10.0,
                exp_times: int = 8,
                radius: int = 5,
                dense_max_nodes: int = 0) -> Tensor:
    """Propagate CAMs with the boundary-aware random walk: ``rw = (cam * (1 - edge)) . T^(2^exp_times)``.

    IRN squares the dense transition matrix ``exp_times`` times (8 dense N^3 products); by default the same power
    is applied as ``2^exp_times`` sparse products (identical up to float rounding, far cheaper: T has ~2 pi r^2/2
    entries per column); maps with at most ``dense_max_nodes`` nodes use the dense squaring.

    Args:
        cams: (K, h, w) class maps (already raised to ``np_power``).
        edge: (h, w) boundary probabilities in [0, 1].
        beta: affinity exponent (10).
        exp_times: number of squarings (8 -> 256 steps).
        radius: neighbourhood radius (5).
        dense_max_nodes: use dense squaring when ``h * w`` is at most this (0: always sparse).

    Returns:
        Tensor: (K, h, w) propagated maps.
    """
    if cams.dim() != 3 or cams.shape[-2:] != edge.shape:
        raise ValueError(f'random_walk: cams (K, h, w) and edge (h, w) must agree, got {tuple(cams.shape)} and '
                         f'{tuple(edge.shape)}')
    k, h, w = cams.shape
    trans = transition_matrix(edge, radius, beta)
    x = (cams.float() * (1.0 - edge.float())[None]).reshape(k, h * w)
    if h * w <= dense_max_nodes:
        t = trans.to_dense()
        for _ in range(exp_times):
            t = t @ t
        rw = x @ t
    else:
        tt = trans.t().coalesce().to_sparse_csr()  # CSR spmm is ~20x faster than COO on CPU
        y = x.t().contiguous()
        for _ in range(2**exp_times):
            y = tt @ y  # (x T)^T = T^T x^T
        rw = y.t()
    return rw.reshape(k, h, w)


def cams_to_ir_label(high_res: np.ndarray,
                     keys: np.ndarray,
                     image: np.ndarray,
                     fg_thr: float = 0.30,
                     bg_thr: float = 0.15,
                     crf: bool = True,
                     crf_preset: str = 'irn',
                     name: Optional[str] = None) -> np.ndarray:
    """Confident foreground/background seeds from CAMs (IRN ``step/cam_to_ir_label.py``).

    ``fg = keys[CRF(argmax([fg_thr, cams]))]``, ``bg`` likewise with ``bg_thr``; ``label = fg`` with
    ``fg == 0 -> 255`` (unsure) and ``fg + bg == 0 -> 0`` (confident background).

    Args:
        high_res: (K, H, W) per-class max-normalised CAMs of the image's classes.
        keys: (K,) 0-based foreground class indices of the CAM channels.
        image: (H, W, 3) uint8 RGB image (for the CRF).
        fg_thr: ``conf_fg_thres`` (0.30).
        bg_thr: ``conf_bg_thres`` (0.15).
        crf: refine each label map with the dense CRF (``mmwsss.crf.crf_refine_labels``, preset ``crf_preset``).
        crf_preset: CRF parameters (``'irn'``: labels unary gt_prob 0.7, gaussian 3/3, bilateral 50/5/10, 10 it).
        name: image id for error messages.

    Returns:
        np.ndarray: (H, W) uint8 IR label {0, 1..C, 255}.
    """
    keys = np.pad(np.asarray(keys, dtype=np.int64) + 1, (1, 0))  # channel 0 = background
    h, w = image.shape[:2]
    if high_res.shape[-2:] != (h, w):
        raise ValueError(f'cams_to_ir_label: CAM size {high_res.shape[-2:]} != image size {(h, w)}')

    def seeds(thr: float) -> np.ndarray:
        scores = np.concatenate([np.full((1, h, w), thr, np.float32), high_res.astype(np.float32)], axis=0)
        lab = scores.argmax(0)
        if crf and len(keys) > 1:
            # IRN's crf_inference_label: label unary (gt_prob 0.7) over the image's classes + background
            from mmwsss.crf import crf_refine_labels
            lab = np.asarray(crf_refine_labels(lab, image, len(keys), preset=crf_preset, name=name)).argmax(0)
        return keys[lab]

    fg = seeds(fg_thr)
    bg = seeds(bg_thr)
    out = fg.copy()
    out[fg == 0] = 255
    out[(fg + bg) == 0] = 0
    return out.astype(np.uint8)


def rw_to_sem_seg_label(rw: Tensor, keys: np.ndarray, out_size: Tuple[int, int], bg_thr: float = 0.22) -> np.ndarray:
    """Random-walk maps -> pseudo mask (IRN ``step/make_sem_seg_labels.py``).

    ``x4`` bilinear upsampling, crop to ``out_size``, division by the global max, a constant ``bg_thr``
    background channel, argmax, mapped through the class keys.

    Args:
        rw: (K, h, w) random-walk maps of the image's classes.
        keys: (K,) 0-based foreground class indices.
        out_size: (H, W) image size.
        bg_thr: ``sem_seg_bg_thres`` (0.22).

    Returns:
        np.ndarray: (H, W) uint8 label map in {0..C}.
    """
    up = F.interpolate(rw[None].float(), scale_factor=4, mode='bilinear', align_corners=False)[0]
    up = up[:, :out_size[0], :out_size[1]]
    if up.shape[-2:] != tuple(out_size):  # stride-4 map smaller than H/4 (odd sizes): stretch the rest
        up = F.interpolate(up[None], size=tuple(out_size), mode='bilinear', align_corners=False)[0]
    up = up / up.max().clamp(min=1e-12)
    scores = torch.cat([up.new_full((1, *up.shape[-2:]), bg_thr), up], dim=0)
    lut = np.pad(np.asarray(keys, dtype=np.int64) + 1, (1, 0))
    return lut[scores.argmax(0).cpu().numpy()].astype(np.uint8)


@torch.no_grad()
def sem_seg_label(model,
                  image: np.ndarray,
                  keys: Sequence[int],
                  cams: np.ndarray,
                  beta: float = 10.0,
                  exp_times: int = 8,
                  radius: int = 5,
                  np_power: float = 1.5,
                  bg_thr: float = 0.22) -> np.ndarray:
    """Random-walk pseudo mask of one image (IRN ``step/make_sem_seg_labels.py``).

    Args:
        model: a trained :class:`mmwsss.models.segmentors.IRNet` (its ``predict_edge`` is used).
        image: (H, W, 3) uint8 RGB.
        keys: (K,) 0-based foreground classes of the CAM channels.
        cams: (K, h, w) stride-4 max-normalised CAMs (``'cam'`` of a CAM file).
        beta, exp_times, radius, np_power, bg_thr: random-walk values (10, 8, 5, 1.5, 0.22).

    Returns:
        np.ndarray: (H, W) uint8 label map in {0..C}.
    """
    h, w = image.shape[:2]
    keys = np.asarray(keys)
    if len(keys) == 0:
        return np.zeros((h, w), np.uint8)
    cams = torch.from_numpy(np.asarray(cams, np.float32))**np_power
    edge = model.predict_edge(image, out_size=tuple(cams.shape[-2:]))
    rw = random_walk(cams, edge, beta, exp_times, radius)
    return rw_to_sem_seg_label(rw, keys, (h, w), bg_thr)


def _load_cam(path: str) -> Dict[str, np.ndarray]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: CAM file not found (run tools/wood/make_cam.py first)')
    d = np.load(path, allow_pickle=True).item()
    for k in ('keys', 'cam', 'high_res'):
        if k not in d:
            raise ValueError(f'{path}: CAM file lacks "{k}"')
    return d


def make_ir_labels(ids: Sequence[str],
                   img_dir: str,
                   cam_dir: str,
                   out_dir: str,
                   fg_thr: float = 0.30,
                   bg_thr: float = 0.15,
                   crf: bool = True,
                   img_suffix: str = '.jpg',
                   resume: bool = True,
                   stamp: Optional[dict] = None) -> int:
    """Write IR labels ``<out_dir>/<id>.png`` (:func:`mmwsss.stages.base.run_per_image`: atomic, resumable,
    tied to ``stamp``) for every id. Returns the number written."""
    from mmwsss.utils import atomic_save_png

    from .base import run_per_image

    def compute(name: str) -> np.ndarray:
        cam = _load_cam(osp.join(cam_dir, name + '.npy'))
        img = read_rgb(osp.join(img_dir, name + img_suffix))
        return cams_to_ir_label(cam['high_res'], cam['keys'], img, fg_thr, bg_thr, crf, name=name)

    return run_per_image(ids, out_dir, '.png', compute, atomic_save_png, resume, stamp)['written']


def make_sem_seg_labels(model,
                        ids: Sequence[str],
                        img_dir: str,
                        cam_dir: str,
                        out_dir: str,
                        beta: float = 10.0,
                        exp_times: int = 8,
                        radius: int = 5,
                        np_power: float = 1.5,
                        bg_thr: float = 0.22,
                        img_suffix: str = '.jpg',
                        palette: Optional[List[int]] = None,
                        resume: bool = True,
                        stamp: Optional[dict] = None) -> int:
    """Random-walk pseudo masks ``<out_dir>/<id>.png`` (VOC layout; :func:`mmwsss.stages.base.run_per_image`:
    atomic, resumable, tied to ``stamp``). Returns #written.

    Args:
        model: a trained :class:`mmwsss.models.segmentors.IRNet` (its ``predict_edge`` is used).
        ids: image ids.
        img_dir / cam_dir / out_dir: image folder, CAM ``.npy`` folder, output folder.
        beta, exp_times, radius, np_power, bg_thr: IRN's ``run_sample.py`` values (10, 8, 5, 1.5, 0.22).
        palette: optional flat 768-int palette for the PNGs.
    """
    from mmwsss.utils import atomic_save_png

    from .base import run_per_image
    model.eval()

    def compute(name: str) -> np.ndarray:
        cam = _load_cam(osp.join(cam_dir, name + '.npy'))
        img = read_rgb(osp.join(img_dir, name + img_suffix))
        return sem_seg_label(model, img, cam['keys'], cam['cam'], beta, exp_times, radius, np_power, bg_thr)

    return run_per_image(ids, out_dir, '.png', compute, lambda path, lab: atomic_save_png(path, lab, palette),
                         resume, stamp)['written']


def ir_label_stats(ids: Sequence[str], label_dir: str, gt_dir: str) -> Dict[str, float]:
    """Coverage and precision of IR labels (confident seeds).

    Args:
        ids: image ids; labels are ``<label_dir>/<id>.png`` ({0, 1..C, 255}).
        label_dir: IR label folder.
        gt_dir: GT label folder; skipped when it does not exist.

    Returns:
        dict: ``bg_fraction``, ``fg_fraction``, ``ignore_fraction`` of all pixels and, with GT,
        ``bg_precision`` / ``fg_precision``: the share of labelled pixels whose label equals the GT.
    """
    from PIL import Image
    counts = dict(bg=0, fg=0, ignore=0, bg_correct=0, fg_correct=0)
    has_gt = osp.isdir(gt_dir)
    for name in ids:
        lab = np.asarray(Image.open(osp.join(label_dir, name + '.png'))).astype(np.int64)
        bg, ign = lab == 0, lab == 255
        fg = ~bg & ~ign
        counts['bg'] += int(bg.sum())
        counts['fg'] += int(fg.sum())
        counts['ignore'] += int(ign.sum())
        gt_path = osp.join(gt_dir, name + '.png')
        if has_gt and osp.isfile(gt_path):
            gt = np.asarray(Image.open(gt_path)).astype(np.int64)
            counts['bg_correct'] += int((bg & (gt == 0)).sum())
            counts['fg_correct'] += int((fg & (gt == lab)).sum())
    total = max(counts['bg'] + counts['fg'] + counts['ignore'], 1)
    stats = dict(bg_fraction=counts['bg'] / total, fg_fraction=counts['fg'] / total,
                 ignore_fraction=counts['ignore'] / total)
    if has_gt:
        stats.update(bg_precision=counts['bg_correct'] / max(counts['bg'], 1),
                     fg_precision=counts['fg_correct'] / max(counts['fg'], 1))
    return stats
