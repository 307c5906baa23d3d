"""Human-like scribbles for BLPSeg's label-preference setting.

A person scribbling a region draws a smooth stroke through its thick middle part and rarely reaches
corners or thin parts (the "label preference" that BLPSeg, Wang et al. TIP 2023, corrects). We
imitate that: a stroke is a smoothed, momentum-driven walk that greedily climbs the distance
transform of the region (so it runs near the medial ridge of the thick part) and stops where the
region gets thin. The choices (thresholds, lengths, miss rate) are in ``docs/synthetic_dataset.md``.
"""
from typing import Optional

import cv2
import numpy as np

__all__ = ['region_distance', 'draw_strokes', 'scribble_map', 'IGNORE']

IGNORE = 255

#: Candidate turning angles of one walk step (radians).
_TURNS = np.array([-0.5, -0.25, 0.0, 0.25, 0.5])


def region_distance(region: np.ndarray) -> np.ndarray:
    """Euclidean distance of each region pixel to the nearest non-region pixel or image border.

    Args:
        region: (H, W) bool.

    Returns:
        (H, W) float32; 0 outside the region, >= 1 inside.
    """
    padded = np.pad(region.astype(np.uint8), 1)
    return cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]


def _walk(rng, dt, start, theta, n_steps, thr, scale):
    """Walk from ``start`` with heading ``theta``; returns a list of (x, y) float points."""
    H, W = dt.shape
    x, y = start
    pts = [(x, y)]
    for _ in range(n_steps):
        cand = theta + _TURNS
        cx = x + np.cos(cand)
        cy = y + np.sin(cand)
        ix = np.clip(np.round(cx).astype(int), 0, W - 1)
        iy = np.clip(np.round(cy).astype(int), 0, H - 1)
        # Climb towards the ridge, prefer going straight, a little hand jitter; ``scale`` keeps the
        # straightness preference comparable in wide regions (large distance values).
        score = dt[iy, ix] - scale * (0.8 * np.abs(_TURNS) + rng.normal(0, 0.15, len(_TURNS)))
        k = int(np.argmax(score))
        if dt[iy[k], ix[k]] < thr:
            break
        theta = 0.6 * theta + 0.4 * cand[k] + rng.normal(0, 0.05)
        x, y = cx[k], cy[k]
        pts.append((x, y))
    return pts


def draw_strokes(rng: np.random.Generator, region: np.ndarray, n_strokes: int, thickness: int,
                 length_frac: float, dt: Optional[np.ndarray] = None,
                 start_quantile: float = 0.7) -> np.ndarray:
    """Draw ``n_strokes`` interior strokes inside ``region``.

    Args:
        rng: Random generator.
        region: (H, W) bool region to scribble (an instance, or the background).
        n_strokes: Number of strokes.
        thickness: Stroke width in pixels (1-3).
        length_frac: Stroke length as a fraction of the region's interior extent along its
            principal axis.
        dt: Optional precomputed :func:`region_distance` of ``region``.
        start_quantile: Strokes start at pixels whose distance to the boundary is at least this
            fraction of the maximum (the thick part).

    Returns:
        (H, W) bool stroke mask, a subset of ``region`` that keeps off its 1-px rim.
    """
    out = np.zeros(region.shape, bool)
    if n_strokes <= 0 or not region.any():
        return out
    dt = region_distance(region) if dt is None else dt
    dmax = float(dt.max())
    if dmax < 1.5:  # a hair-thin region: one dab at its thickest pixel
        y, x = np.unravel_index(int(np.argmax(dt)), dt.shape)
        out[y, x] = True
        return out
    thr = max(1.5, 0.35 * dmax)
    iy, ix = np.nonzero(dt >= thr)
    pts = np.stack([ix, iy], 1).astype(np.float64)
    mean = pts.mean(0)
    if len(pts) >= 3:
        cov = np.cov((pts - mean).T)
        evals, evecs = np.linalg.eigh(cov)
        axis = evecs[:, int(np.argmax(evals))]
    else:
        axis = np.array([1.0, 0.0])
    proj = (pts - mean) @ axis
    extent = max(2.0, float(proj.max() - proj.min()))
    sy, sx = np.nonzero(dt >= max(thr, start_quantile * dmax))
    canvas = np.zeros(region.shape, np.uint8)
    for _ in range(n_strokes):
        k = int(rng.integers(len(sx)))
        start = (float(sx[k]), float(sy[k]))
        theta = float(np.arctan2(axis[1], axis[0])) + rng.uniform(-0.3, 0.3)
        half = max(1, int(round(length_frac * extent / 2)))
        scale = max(1.0, dmax / 8.0)
        fwd = _walk(rng, dt, start, theta, half, thr, scale)
        bwd = _walk(rng, dt, start, theta + np.pi, half, thr, scale)
        line = np.round(np.array(bwd[::-1] + fwd[1:])).astype(np.int32)
        if len(line) == 1:
            canvas[line[0, 1], line[0, 0]] = 1
        else:
            cv2.polylines(canvas, [line.reshape(-1, 1, 2)], False, 1, int(thickness))
    # Keep the stroke inside the region, off its outermost pixel ring.
    out = (canvas > 0) & (dt >= min(1.5, dmax))
    return out


def scribble_map(rng: np.random.Generator, cls_map: np.ndarray, inst_map: np.ndarray,
                 inst_classes, miss_small: float = 0.1) -> np.ndarray:
    """Scribble annotation of one image.

    Args:
        rng: Random generator.
        cls_map: (H, W) uint8 class map (0 bg, 1..C, 255 void).
        inst_map: (H, W) instance map (0 bg, 1..N, 255 void).
        inst_classes: Sequence of length N, class id of instance k+1.
        miss_small: Probability that a small object gets no stroke.

    Returns:
        (H, W) uint8: class index 0..C on stroke pixels, 255 elsewhere.
    """
    H, W = cls_map.shape
    scr = np.full((H, W), IGNORE, np.uint8)
    S = max(H, W)
    for k, c in enumerate(inst_classes, start=1):
        region = inst_map == k
        area = int(region.sum())
        if area == 0:
            continue
        dt = region_distance(region)
        dmax = float(dt.max())
        small = dmax < 3.0 or area < 0.012 * H * W
        if small:
            if rng.random() < miss_small:
                continue
            stroke = draw_strokes(rng, region, 1, 1, rng.uniform(0.2, 0.5), dt)
        else:
            n = 1 if dmax < 8 else int(rng.choice([1, 2], p=[0.7, 0.3]))
            t = 1 if dmax < 6 else int(rng.choice([1, 2, 3], p=[0.5, 0.4, 0.1]))
            stroke = draw_strokes(rng, region, n, t, rng.uniform(0.3, 0.6), dt)
        scr[stroke] = c
    bg = cls_map == 0
    if bg.any():
        n = int(rng.integers(2, 5))
        t = int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25])) if S >= 64 else 1
        stroke = draw_strokes(rng, bg, n, t, rng.uniform(0.25, 0.45), start_quantile=0.4)
        scr[stroke & (scr == IGNORE)] = 0
    return scr
