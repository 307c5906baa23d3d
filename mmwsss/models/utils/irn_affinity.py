"""IRN inter-pixel primitives: neighbour offsets with their path cells, map shifts, path affinities, pair labels.

Used by IRN training (:class:`mmwsss.models.segmentors.IRNet`, radius 10) and by the random walk that turns CAMs
into pseudo masks (radius 5). Pure torch; no registry imports.
"""
from functools import lru_cache
from typing import Tuple

import torch
from torch import Tensor

__all__ = [
    'path_offsets', 'irn_source_mask', 'shift_map', 'edge_to_affinity', 'affinity_labels', 'affinity_matrix',
    'dense_affinity'
]


@lru_cache(maxsize=16)
def path_offsets(radius: int) -> Tuple[Tuple[Tuple[int, int], Tuple[Tuple[int, int], ...]], ...]:
    """Neighbour offsets within ``radius`` and the grid cells on the path to each, as IRN's ``PathIndex``.

    Offsets: ``(0, dx)`` for ``0 < dx < radius`` and ``(dy, dx)`` for ``0 < dy < radius``, ``|dx| < radius`` with
    ``dy^2 + dx^2 < radius^2`` (one direction of each pair; the affinity is symmetric). The path of ``(dy, dx)`` is
    every cell ``(y, x)`` of the bounding box of ``(0, 0)`` and ``(dy, dx)`` whose squared perpendicular distance
    to the line through them, ``(dy * x - dx * y)^2 / (dy^2 + dx^2)``, is below 1 (IRN ``misc/indexing.py``,
    ``PathIndex.get_all_dir_paths``): 4 cells for (1, 1), 6 for (1, 2). A 1-cell diagonal wall therefore cuts
    every path that crosses it.

    Args:
        radius: search radius in grid cells (10 for IRN training, 5 for the random walk).

    Returns:
        tuple: ``((dy, dx), path)`` entries in IRN's direction order, ``path`` a tuple of (py, px) cells that
        includes both end points, sorted by ``|py| + |px|``.
    """
    if radius < 2:
        raise ValueError(f'path_offsets: radius must be >= 2, got {radius}')
    dirs = [(0, dx) for dx in range(1, radius)]
    dirs += [(dy, dx) for dy in range(1, radius) for dx in range(-radius + 1, radius) if dy * dy + dx * dx < radius**2]
    out = []
    for dy, dx in dirs:
        length_sq = dy * dy + dx * dx
        cells = [(y, x) for y in range(min(0, dy), max(0, dy) + 1) for x in range(min(0, dx), max(0, dx) + 1)
                 if (dy * x - dx * y)**2 < length_sq]  # integer form of IRN's dist_sq < 1
        out.append(((dy, dx), tuple(sorted(cells, key=lambda c: abs(c[0]) + abs(c[1])))))
    return tuple(out)


def irn_source_mask(size: Tuple[int, int], radius: int) -> Tensor:
    """Pixels IRN trains as pair sources: all but the last ``radius - 1`` rows and columns on each side.

    IRN's ``PathIndex.get_path_indices`` takes sources from ``[0, h - r + 1) x [r - 1, w - r + 1)`` so that every
    offset of every source lands inside the crop; pairs from the excluded band never enter the training loss.

    Args:
        size: (h, w) of the label/edge grid.
        radius: pair radius.

    Returns:
        Tensor: (h, w) bool.
    """
    h, w = size
    rf = radius - 1
    mask = torch.zeros(h, w, dtype=torch.bool)
    mask[:max(h - rf, 0), rf:max(w - rf, rf)] = True
    return mask


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


def affinity_labels(label: Tensor,
                    radius: int,
                    ignore_index: int = 255,
                    sources: str = 'irn') -> Tuple[Tensor, Tensor, Tensor]:
    """Pair labels from a (reduced) IR label map, as IRN's ``GetAffinityLabelFromIndices``.

    bg-positive: both pixels 0; fg-positive: the same class > 0; negative: different classes; pairs with an
    ``ignore_index`` pixel or a destination outside the map are in none of the three.

    Args:
        label: (N, h, w) integer map {0: bg, 1..C: class, 255: unsure}.
        radius: neighbourhood radius.
        ignore_index: the unsure label.
        sources: ``'irn'`` (default, as IRN): only sources inside :func:`irn_source_mask` form pairs; ``'all'``:
            every pixel is a source (pairs near the crop border train too).

    Returns:
        tuple: bool masks ``bg_pos``, ``fg_pos``, ``neg``, each (N, P, h, w).
    """
    if sources not in ('irn', 'all'):
        raise ValueError(f"affinity_labels: sources must be 'irn' or 'all', got {sources!r}")
    label = label.long()
    src_ok = label != ignore_index
    if sources == 'irn':
        src_ok = src_ok & irn_source_mask(tuple(label.shape[-2:]), radius).to(label.device)
    bg, fg, neg = [], [], []
    for (dy, dx), _ in path_offsets(radius):
        dst = shift_map(label, dy, dx, ignore_index)
        ok = src_ok & (dst != ignore_index)
        same = label == dst
        bg.append(ok & same & (label == 0))
        fg.append(ok & same & (label > 0))
        neg.append(ok & ~same)
    return torch.stack(bg, 1), torch.stack(fg, 1), torch.stack(neg, 1)


def affinity_matrix(edge: Tensor, radius: int = 5, beta: float = 1.0) -> Tensor:
    """Symmetric sparse (h*w, h*w) affinity ``A_ij = aff_ij^beta`` of a boundary map, ``A_ii = 1``.

    ``aff_ij = 1 - max(edge along the path i -> j)`` for every pair within ``radius`` (both ends inside the map),
    as IRN's ``affinity_sparse2dense`` after ``edge_to_affinity`` (``misc/indexing.py``); ``beta`` is applied
    before the diagonal is added (``1^beta = 1``), as in ``to_transition_matrix``.

    Args:
        edge: (h, w) boundary probabilities in [0, 1].
        radius: neighbourhood radius (5 in the random walk).
        beta: exponent (1: the plain path affinity).

    Returns:
        Tensor: coalesced sparse COO float tensor; ``.to_dense()`` gives the dense matrix.
    """
    if edge.dim() != 2:
        raise ValueError(f'affinity_matrix: edge must be (h, w), got {tuple(edge.shape)}')
    h, w = edge.shape
    n = h * w
    dev = edge.device
    aff, valid = edge_to_affinity(edge.float(), radius)
    aff = aff[0].clamp(min=0.0)**beta
    idx = torch.arange(n, device=dev).view(h, w)
    rows, cols, vals = [torch.arange(n, device=dev)], [torch.arange(n, device=dev)], [torch.ones(n, device=dev)]
    for p, ((dy, dx), _) in enumerate(path_offsets(radius)):
        v = valid[p]
        src = idx[v]
        dst = shift_map(idx[None], dy, dx, -1)[0][v]
        a = aff[p][v]
        rows += [src, dst]
        cols += [dst, src]
        vals += [a, a]
    return torch.sparse_coo_tensor(torch.stack([torch.cat(rows), torch.cat(cols)]), torch.cat(vals), (n, n),
                                   check_invariants=False).coalesce()


def dense_affinity(edge: Tensor, radius: int = 5) -> Tensor:
    """Dense (h*w, h*w) path affinity of a boundary map, for inspection and visualisation.

    Entry ``[i, j]`` is ``1 - max(edge along the path)`` for pixels ``i = y * w + x`` and ``j`` within ``radius``,
    0 beyond it, 1 on the diagonal: IRN's ``affinity_sparse2dense`` output (``misc/indexing.py``) for
    ``propagate_to_edge``'s padded edge map, cropped back to the image. Row ``i`` reshaped to (h, w) shows how
    strongly pixel ``i`` connects to its neighbours. Memory is ``(h*w)^2`` floats: use it on stride-4 maps.

    Args:
        edge: (h, w) boundary probabilities in [0, 1].
        radius: neighbourhood radius (5, as the random walk).

    Returns:
        Tensor: (h*w, h*w) float32.
    """
    return affinity_matrix(edge, radius, beta=1.0).to_dense()
