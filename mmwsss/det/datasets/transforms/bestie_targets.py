"""BESTIE semantic knowledge transfer: instance targets from a semantic (WSSS) map + point cues.

Pure numpy / OpenCV; runs inside the data pipeline after augmentation (BESTIE utils/utils.py, pseudo_label_generation).
"""
from typing import Dict, Iterable, Iterator, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'gaussian_patch', 'render_gaussian', 'points_to_array', 'cue_components', 'generate_pseudo_targets',
    'generate_oracle_targets', 'points_by_class'
]

MIN_MASK_SIZE = 50  # BESTIE utils/utils.py, pseudo_label_generation (MINIMUM_MASK_SIZE)


def gaussian_patch(sigma: float = 6) -> np.ndarray:
    """Square Gaussian of side ``6*sigma+3`` with value 1 at index ``3*sigma+1`` (BESTIE utils/utils.py, gaussian).

    Returns:
        np.ndarray: (6σ+3, 6σ+3) float32.
    """
    size = int(6 * sigma + 3)
    c = 3 * sigma + 1
    ax = np.arange(size, dtype=np.float64)
    g = np.exp(-((ax[None, :] - c)**2 + (ax[:, None] - c)**2) / (2 * sigma**2))
    return g.astype(np.float32)


def render_gaussian(heat: np.ndarray, x: int, y: int, sigma: float = 6,
                    patch: Optional[np.ndarray] = None) -> None:
    """Max-merge a Gaussian with its peak at integer ``(x, y)`` into ``heat`` in place.

    Points outside the map are skipped; the patch is clipped at the borders (BESTIE utils/utils.py, gaussian).

    Args:
        heat: (H, W) float map, modified in place.
        x: Column of the peak.
        y: Row of the peak.
        sigma: Gaussian σ.
        patch: Pre-computed :func:`gaussian_patch` (speed only).
    """
    h, w = heat.shape
    x, y = int(x), int(y)
    if x < 0 or y < 0 or x >= w or y >= h:
        return
    g = gaussian_patch(sigma) if patch is None else patch
    r = (g.shape[0] - 1) // 2  # 3σ+1: the peak index
    x0, y0 = x - r, y - r
    x1, y1 = x0 + g.shape[1], y0 + g.shape[0]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    sub = g[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
    np.maximum(heat[cy0:cy1, cx0:cx1], sub, out=heat[cy0:cy1, cx0:cx1])


def points_to_array(points) -> np.ndarray:
    """Normalise a point list to an (N, 4) float array ``x, y, cls, conf`` (cls 0-based fg)."""
    if points is None:
        return np.zeros((0, 4), np.float32)
    arr = np.asarray(points, dtype=np.float32)
    if arr.size == 0:
        return np.zeros((0, 4), np.float32)
    if arr.ndim != 2 or arr.shape[1] not in (3, 4):
        raise ValueError(f'points must have shape (N, 3) or (N, 4) [x, y, cls, (conf)], got {arr.shape}')
    if arr.shape[1] == 3:
        arr = np.concatenate([arr, np.ones((len(arr), 1), np.float32)], axis=1)
    return arr


def _classes(img_labels, seg_map: np.ndarray, pts: np.ndarray, num_classes: int) -> Iterable[int]:
    if img_labels is None:
        cls = set(int(v) - 1 for v in np.unique(seg_map) if 0 < v <= num_classes)
        cls |= set(int(c) for c in pts[:, 2])
        return sorted(cls)
    lab = np.asarray(img_labels)
    if lab.dtype.kind == 'f' or lab.dtype == bool:
        if lab.shape[0] == num_classes + 1:  # multi-hot with background at index 0 (dev_guide)
            lab = lab[1:]
        if lab.shape[0] != num_classes:
            raise ValueError(f'multi-hot image labels must have {num_classes} (or +1) entries, got {lab.shape}')
        return [int(c) for c in np.nonzero(lab > 0)[0]]
    return sorted(set(int(c) for c in lab.reshape(-1)))


def cue_components(seg_map: np.ndarray, c: int, px: np.ndarray, py: np.ndarray,
                   min_area: int) -> Iterator[Tuple[np.ndarray, int, int, int, Tuple[int, int]]]:
    """The components the "1 component - 1 point" rule looks at (BESTIE utils.py), with their cue counts.

    Args:
        seg_map: (H, W) class map (1..C foreground).
        c: 0-based class; its 8-connected components of ``seg_map == c + 1`` with area >= ``min_area``.
        px, py: In-image integer coordinates of the cues of class ``c``.
        min_area: Smallest component considered.

    Yields:
        tuple: ``(labels (H, W), k, area, number of cues inside, (cx, cy) truncated centroid)``; the
        component's mask is ``labels == k`` (left to the caller: only accepted components need it).
    """
    mask = (seg_map == c + 1).astype(np.uint8)
    if not mask.any():
        return
    n, lab, stats, cents = cv2.connectedComponentsWithStats(mask, connectivity=8)
    pt_lab = lab[py, px] if len(px) else np.zeros(0, np.int64)
    for k in range(1, n):
        area = int(stats[k, cv2.CC_STAT_AREA])
        if area >= min_area:
            yield lab, k, area, int((pt_lab == k).sum()), (int(cents[k][0]), int(cents[k][1]))


def generate_pseudo_targets(seg_map: np.ndarray,
                            points,
                            num_classes: int,
                            img_labels=None,
                            sup: str = 'cls',
                            sigma: float = 6,
                            min_area: int = MIN_MASK_SIZE) -> Dict[str, np.ndarray]:
    """Pseudo instance targets by "1 component - 1 point" (BESTIE utils/utils.py).

    For each labelled class c and each 8-connected component of ``seg_map == c+1`` with area >=
    ``min_area`` holding exactly one point of class c: Gaussian at the (truncated) component centroid
    (``sup='cls'``), offsets from every component pixel to that centroid, weight 1. All other pixels
    have weight 0 (instance-aware guidance, BESTIE utils/loss.py). With ``sup='point'`` the Gaussians are drawn at
    *every* point of a labelled class instead (BESTIE utils/utils.py, pseudo_label_generation); offsets/weights follow
    the same component rule.

    Args:
        seg_map: (H, W) int map, 0 = background, 1..C = class, 255 = ignore.
        points: (N, 3|4) ``x, y, cls, conf`` (cls 0-based foreground; already confidence-filtered).
        num_classes: C, number of foreground classes.
        img_labels: Labelled classes: 0-based indices, or a multi-hot of length C (or C+1 with
            background first). ``None`` = classes present in the map or the points.
        sup: ``'cls'`` (PAM peaks) or ``'point'`` (GT points).
        sigma: Gaussian σ (6).
        min_area: Minimum component area in pixels (50).

    Returns:
        dict: ``center`` (C, H, W) float32, ``offset`` (2, H, W) float32 (dy, dx),
        ``weight`` (1, H, W) float32.
    """
    if sup not in ('cls', 'point'):
        raise ValueError(f"sup must be 'cls' or 'point', got {sup!r}")
    seg_map = np.asarray(seg_map)
    if seg_map.ndim != 2:
        raise ValueError(f'seg_map must be 2-D, got shape {seg_map.shape}')
    h, w = seg_map.shape
    pts = points_to_array(points)
    center = np.zeros((num_classes, h, w), np.float32)
    offset = np.zeros((2, h, w), np.float32)
    weight = np.zeros((1, h, w), np.float32)
    patch = gaussian_patch(sigma)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    px = pts[:, 0].astype(np.int64)
    py = pts[:, 1].astype(np.int64)
    pc = pts[:, 2].astype(np.int64)
    inside = (px >= 0) & (py >= 0) & (px < w) & (py < h)
    for c in _classes(img_labels, seg_map, pts, num_classes):
        if not 0 <= c < num_classes:
            continue
        sel = inside & (pc == c)
        cx_pts, cy_pts = px[sel], py[sel]
        if sup == 'point':
            for x, y in zip(cx_pts, cy_pts):
                render_gaussian(center[c], x, y, sigma, patch)
        for lab, k, _, n_cues, (ccx, ccy) in cue_components(seg_map, c, cx_pts, cy_pts, min_area):
            if n_cues != 1:  # reject 0 or >= 2 cues (BESTIE utils/utils.py, pseudo_label_generation)
                continue
            comp = lab == k
            if sup == 'cls':
                render_gaussian(center[c], ccx, ccy, sigma, patch)
            offset[0][comp] = ccy - ys[comp]
            offset[1][comp] = ccx - xs[comp]
            weight[0][comp] = 1.0
    return dict(center=center, offset=offset, weight=weight)


def generate_oracle_targets(inst_map: np.ndarray, seg_map: np.ndarray, num_classes: int,
                            sigma: float = 6) -> Dict[str, np.ndarray]:
    """Fully-supervised ("oracle") targets from a GT instance map (upper bound for ablations).

    Every instance gets a Gaussian at its (truncated) mask centroid in the channel of its class,
    offsets to that centroid and weight 1; background and void get weight 0.

    Args:
        inst_map: (H, W) int, 0 = background, 1..N = instance id, 255 = void.
        seg_map: (H, W) int semantic GT (class of each instance by majority vote).
        num_classes: C.
        sigma: Gaussian σ.

    Returns:
        dict like :func:`generate_pseudo_targets`.
    """
    inst_map = np.asarray(inst_map)
    seg_map = np.asarray(seg_map)
    if inst_map.shape != seg_map.shape:
        raise ValueError(f'instance map {inst_map.shape} and semantic map {seg_map.shape} differ in shape')
    h, w = inst_map.shape
    center = np.zeros((num_classes, h, w), np.float32)
    offset = np.zeros((2, h, w), np.float32)
    weight = np.zeros((1, h, w), np.float32)
    patch = gaussian_patch(sigma)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for iid in np.unique(inst_map):
        if iid == 0 or iid == 255:
            continue
        m = inst_map == iid
        cls_vals = seg_map[m]
        cls_vals = cls_vals[(cls_vals > 0) & (cls_vals <= num_classes)]
        if cls_vals.size == 0:
            continue
        c = int(np.bincount(cls_vals).argmax()) - 1
        cy, cx = int(ys[m].mean()), int(xs[m].mean())
        render_gaussian(center[c], cx, cy, sigma, patch)
        offset[0][m] = cy - ys[m]
        offset[1][m] = cx - xs[m]
        weight[0][m] = 1.0
    return dict(center=center, offset=offset, weight=weight)


def points_by_class(points, num_classes: int) -> Sequence[np.ndarray]:
    """Split an (N, 4) point array into per-class (K_c, 2) ``(y, x)`` int arrays."""
    pts = points_to_array(points)
    out = []
    for c in range(num_classes):
        sel = pts[:, 2].astype(np.int64) == c
        out.append(np.stack([pts[sel, 1], pts[sel, 0]], axis=1).astype(np.int64))
    return out
