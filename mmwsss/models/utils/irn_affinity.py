"""IRN inter-pixel primitives: neighbour offsets with their path cells, map shifts, path affinities, pair labels.

Used by IRN training (:class:`mmwsss.models.segmentors.IRNet`, radius 10) and by the random walk that turns CAMs
into pseudo masks (radius 5). Pure torch; no registry imports.
"""
from functools import lru_cache
from typing import Tuple

import numpy as np
import torch
from torch import Tensor

__all__ = ['path_offsets', 'shift_map', 'edge_to_affinity', 'affinity_labels']


@lru_cache(maxsize=16)
def path_offsets(radius: int) -> Tuple[Tuple[Tuple[int, int], Tuple[Tuple[int, int], ...]], ...]:
    """Neighbour offsets within ``radius`` and the grid cells on the straight path to each.

    Only one direction of each pair is listed (``dy > 0``, or ``dy == 0 and dx > 0``); the affinity is symmetric.
    A neighbour is within the radius when ``dy^2 + dx^2 < radius^2``. The path holds the source (0, 0), the cells
    the segment passes (rounded samples at every unit step of the longer axis) and the destination.

    Args:
        radius: search radius in grid cells (10 for IRN training, 5 for the random walk).

    Returns:
        tuple: ``((dy, dx), path)`` entries, ``path`` a tuple of (py, px) cells including both end points.
    """
    if radius < 2:
        raise ValueError(f'path_offsets: radius must be >= 2, got {radius}')
    out = []
    for dy in range(0, radius):
        for dx in range(-radius + 1, radius):
            if dy == 0 and dx <= 0:
                continue
            if dy * dy + dx * dx >= radius * radius:
                continue
            steps = max(abs(dy), abs(dx))
            cells = []
            for t in range(steps + 1):
                c = (int(np.floor(dy * t / steps + 0.5)), int(np.floor(dx * t / steps + 0.5)))
                if not cells or cells[-1] != c:
                    cells.append(c)
            out.append(((dy, dx), tuple(cells)))
    return tuple(out)


def shift_map(x: Tensor, dy: int, dx: int, fill: float) -> Tensor:
    """``out[..., y, x] = x[..., y + dy, x + dx]``, ``fill`` outside."""
    h, w = x.shape[-2:]
    out = torch.full_like(x, fill)
    ys, ye = max(0, -dy), min(h, h - dy)
    xs, xe = max(0, -dx), min(w, w - dx)
    if ys < ye and xs < xe:
        out[..., ys:ye, xs:xe] = x[..., ys + dy:ye + dy, xs + dx:xe + dx]
    return out


def edge_to_affinity(edge: Tensor, radius: int) -> Tuple[Tensor, Tensor]:
    """Affinity of every (pixel, neighbour) pair: ``aff = 1 - max(edge along the path)`` (IRN, Ahn et al. 2019).

    Args:
        edge: (N, h, w) or (h, w) boundary probabilities in [0, 1].
        radius: neighbourhood radius.

    Returns:
        tuple: ``aff`` (N, P, h, w) (pair (y, x) -> (y + dy, x + dx) of offset p, ordered as
        :func:`path_offsets`) and ``valid`` (P, h, w) bool (destination inside the map).
    """
    squeeze = edge.dim() == 2
    if squeeze:
        edge = edge[None]
    h, w = edge.shape[-2:]
    affs, valids = [], []
    ones = torch.ones(1, h, w, device=edge.device)
    for (dy, dx), cells in path_offsets(radius):
        m = None
        for py, px in cells:
            s = shift_map(edge, py, px, 1.0)  # outside the map counts as a boundary
            m = s if m is None else torch.maximum(m, s)
        affs.append(1.0 - m)
        valids.append(shift_map(ones, dy, dx, 0.0)[0] > 0)
    return torch.stack(affs, dim=1), torch.stack(valids, dim=0)


def affinity_labels(label: Tensor, radius: int, ignore_index: int = 255) -> Tuple[Tensor, Tensor, Tensor]:
    """Pair labels from a (reduced) IR label map.

    bg-positive: both pixels 0; fg-positive: the same class > 0; negative: different classes; pairs with an
    ``ignore_index`` pixel or a destination outside the map are in none of the three.

    Args:
        label: (N, h, w) integer map {0: bg, 1..C: class, 255: unsure}.
        radius: neighbourhood radius.

    Returns:
        tuple: bool masks ``bg_pos``, ``fg_pos``, ``neg``, each (N, P, h, w).
    """
    label = label.long()
    bg, fg, neg = [], [], []
    for (dy, dx), _ in path_offsets(radius):
        dst = shift_map(label, dy, dx, ignore_index)
        ok = (label != ignore_index) & (dst != ignore_index)
        same = label == dst
        bg.append(ok & same & (label == 0))
        fg.append(ok & same & (label > 0))
        neg.append(ok & ~same)
    return torch.stack(bg, 1), torch.stack(fg, 1), torch.stack(neg, 1)
