"""Permutohedral lattice (Adams et al. 2010) in plain PyTorch, batched, CPU or GPU.

This is the Gaussian filter that pydensecrf (Krähenbühl 2013, ``permutohedral.cpp``) uses for its
pairwise kernels. Re-implementing the same lattice (same elevation, rounding, simplex ranks,
barycentric weights, the ``[0.5, 1, 0.5]`` blur along the d+1 lattice axes and the
``alpha = 1 / (1 + 2^-d)`` slice factor) makes the torch backend follow pydensecrf's approximation
closely at full resolution, with memory linear in the number of pixels (never N x N): see
``docs/crf.md`` for the measured footprint.

The hash table of the C++ code is replaced by sorting: every lattice key is encoded into one int64
(mixed radix over the per-coordinate key ranges, plus the image index so that one lattice holds a whole
batch without mixing images); the codes of a point's d+1 simplex vertices and of a vertex's blur
neighbours are offsets of that code, so no key vector is ever materialised. The lattice is built once
per CRF call and its sparse operators are reused by every mean-field iteration.
"""
import math
import warnings
from typing import Optional, Sequence

import torch

__all__ = ['PermutohedralLattice', 'LatticeKernel', 'LatticeMessage']


def _csr(crow: torch.Tensor, col: torch.Tensor, val: torch.Tensor, shape) -> torch.Tensor:
    if col.numel() < 2**31 and max(shape) < 2**31:
        # int32 indices: the CPU sparse matmul would otherwise convert int64 indices at every product
        crow, col = crow.to(torch.int32), col.to(torch.int32)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(crow, col, val, shape)


class PermutohedralLattice:
    """Splat / blur / slice Gaussian filtering of per-point values over position features.

    ``apply(v)`` returns ``alpha * S^T B_d ... B_0 S v``, which approximates
    ``sum_j exp(-|f_i - f_j|^2 / 2) v_j`` (self included) within each image, exactly as pydensecrf's
    ``Permutohedral::compute``.

    Args:
        features: (P, d) float features, already divided by the kernel standard deviations.
        batch_index: (P,) int64 image index of each point (points of different images never interact).
            ``None`` means one image.

    Attributes:
        splat: (M, P) CSR, barycentric weights (rows: vertices; M <= P (d+1) vertices, usually far fewer).
        blur: list of (M, M) CSR ``N_j`` with 0.5 per existing neighbour along lattice axis j (axes where no
            vertex has a neighbour are left out): one blur step is ``g + N_j g``.
        slice: (P, M) CSR, ``alpha`` x barycentric weights.

    Memory: splat and slice hold P (d+1) entries each (int64 index + float32 value), the blur at most 2 M
    per axis; ``apply`` holds (M, C) vertex values. Nothing is quadratic in P.
    """

    def __init__(self, features: torch.Tensor, batch_index: Optional[torch.Tensor] = None):
        if features.ndim != 2:
            raise ValueError(f'PermutohedralLattice: features must be (P, d), got shape {tuple(features.shape)}')
        device = features.device
        f = features.to(torch.float32)
        P, d = f.shape
        self.d = d
        self.num_points = P
        d1 = d + 1

        # Elevate onto the hyperplane sum(x) = 0 in R^{d+1} (E matrix, p.5 of Adams et al.); the scale makes
        # the lattice blur a Gaussian of std 1 in feature space (p.6), as in permutohedral.cpp.
        inv_std_dev = math.sqrt(2.0 / 3.0) * d1
        idx = torch.arange(d, device=device, dtype=torch.float32)
        cf = f * (inv_std_dev / torch.sqrt((idx + 2) * (idx + 1)))  # (P, d)
        # elevated[0] = sum_i cf_i; elevated[j] = sum_{i >= j} cf_i - j cf_{j-1} for j >= 1.
        rev_cum = torch.flip(torch.cumsum(torch.flip(cf, [1]), 1), [1])  # rev_cum[:, j] = sum_{i>=j} cf_i
        elevated = torch.empty(P, d1, device=device, dtype=torch.float32)
        elevated[:, 0] = rev_cum[:, 0]
        elevated[:, 1:d] = rev_cum[:, 1:] - torch.arange(1, d, device=device, dtype=torch.float32) * cf[:, :d - 1]
        elevated[:, d] = -d * cf[:, d - 1]

        # Closest 0-coloured lattice point (round to nearest, ties to even like _mm_round_ps).
        v = torch.round(elevated / d1)
        rem0 = v * d1
        s = v.sum(1, keepdim=True)
        # Rank of each residual coordinate = its position in a stable descending sort: the C++ loop increments
        # rank[i] for every j > i with diff[j] > diff[i] and for every j < i with diff[j] >= diff[i].
        by_diff = torch.sort(elevated - rem0, dim=1, descending=True, stable=True)[1]
        rank = torch.empty_like(by_diff)
        rank.scatter_(1, by_diff, torch.arange(d1, device=device).expand(P, d1))
        rank = rank.to(torch.float32) + s
        wrap = (rank >= d1).to(torch.float32) - (rank < 0).to(torch.float32)  # +1: subtract d+1, -1: add it
        rank = rank - wrap * d1
        rem0 = rem0 - wrap * d1

        # Barycentric coordinates (p.10 of Adams et al.).
        vb = (elevated - rem0) / d1
        rank_l = rank.long()
        bary = torch.zeros(P, d + 2, device=device, dtype=torch.float32)
        bary.scatter_add_(1, d - rank_l, vb)
        bary.scatter_add_(1, d - rank_l + 1, -vb)
        bary[:, 0] += 1 + bary[:, d + 1]
        bary = bary[:, :d1]

        # Vertex r of the simplex has key rem0 + canonical[r, rank] over the first d coordinates, with
        # canonical[r, k] = r if k <= d - r else r - (d+1). Keys are encoded as mixed-radix int64 codes (image
        # index as the top digit); the margin of 2 (d+1) per coordinate keeps the blur neighbours encodable.
        rem0_l = rem0[:, :d].long()
        kmin = rem0_l.amin(0) - 2 * d1 if P else torch.zeros(d, dtype=torch.long, device=device)
        kmax = rem0_l.amax(0) + 2 * d1 if P else torch.zeros(d, dtype=torch.long, device=device)
        radix = [int(x) for x in (kmax - kmin + 1).tolist()]
        if batch_index is None:
            nb = 1
        else:
            batch_index = batch_index.to(device=device, dtype=torch.long)
            nb = int(batch_index.max().item()) + 1 if P else 1
        if math.prod(radix) * nb >= 2**62:
            raise ValueError('PermutohedralLattice: feature range too large to encode the lattice keys in int64; '
                             'are the kernel standard deviations tiny compared to the feature values?')
        mult_list = [math.prod(radix[i + 1:]) for i in range(d)]
        mult = torch.tensor(mult_list, dtype=torch.long, device=device)
        base = ((rem0_l - kmin) * mult).sum(1)
        if batch_index is not None:
            base = base + batch_index * math.prod(radix)
        # hist[:, k] = sum of mult_i over the coordinates i < d of rank k; above[:, t] = sum over ranks > t
        hist = torch.zeros(P, d1, dtype=torch.long, device=device)
        hist.scatter_add_(1, rank_l[:, :d], mult.expand(P, d))
        above = torch.flip(torch.cumsum(torch.flip(hist, [1]), 1), [1]) - hist  # (P, d+1): sum over ranks > t
        r = torch.arange(d1, device=device)
        total = sum(mult_list)
        codes = base[:, None] + r * total - d1 * above[:, d - r]  # (P, d+1), vertex r of each point

        # One sort gives the vertex table (unique codes), each entry's vertex id and the splat order.
        sorted_codes, order = torch.sort(codes.reshape(-1), stable=True)
        new = torch.ones_like(sorted_codes, dtype=torch.bool)
        new[1:] = sorted_codes[1:] != sorted_codes[:-1]
        uniq = sorted_codes[new]
        M = uniq.numel()
        self.num_vertices = M
        inverse = torch.empty_like(order)
        inverse[order] = torch.cumsum(new, 0) - 1
        self.offset = inverse.view(P, d1)  # the d+1 vertices of each point
        self.barycentric = bary.contiguous()
        self.alpha = 1.0 / (1.0 + 2.0 ** (-d))

        nnz = P * d1
        # slice: point i reads its d+1 vertices with weights alpha * barycentric (columns unsorted within a row,
        # which CSR matmul accepts).
        self.slice = _csr(torch.arange(0, nnz + 1, d1, device=device), self.offset.reshape(-1),
                          (self.barycentric * self.alpha).reshape(-1), (P, M))
        # splat: the transpose, rows in the code sort order (no duplicates to merge).
        crow = torch.cat([torch.nonzero(new).view(-1), torch.tensor([nnz], device=device)])
        self.splat = _csr(crow, torch.div(order, d1, rounding_mode='floor'), self.barycentric.reshape(-1)[order],
                          (M, P))
        # blur along lattice axis j: the neighbours are key -/+ (1, ..., 1) with coordinate j -/+ (d+1) instead,
        # i.e. code -/+ delta_j. One search per axis: u = v - delta_j found means v = u + delta_j.
        ids = torch.arange(M, device=device)
        self.blur = []
        for j in range(d1):
            delta = total - (d1 * mult_list[j] if j < d else 0)
            lo = uniq - delta
            pos = torch.searchsorted(uniq, lo).clamp_max(M - 1)
            found_lo = uniq[pos] == lo
            if not bool(found_lo.any()):
                continue  # no vertex has a neighbour along this axis: the step is the identity
            hi = torch.full_like(pos, -1)
            hi[pos[found_lo]] = ids[found_lo]
            found = torch.stack([found_lo, hi >= 0], 1)  # (M, 2): neighbour at -delta_j, at +delta_j
            crow_j = torch.zeros(M + 1, dtype=torch.long, device=device)
            torch.cumsum(found.sum(1), 0, out=crow_j[1:])
            col = torch.stack([pos, hi], 1)[found]
            self.blur.append(_csr(crow_j, col, torch.full_like(col, 0.5, dtype=torch.float32), (M, M)))

    def blur_values(self, grid: torch.Tensor, spare: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The blur steps on vertex values (M, C); ``spare`` (M, C) is an optional work buffer (both are
        overwritten; the result is one of them)."""
        for blur in self.blur:
            if spare is None:
                spare = torch.empty_like(grid)
            torch.addmm(grid, blur, grid, out=spare)
            grid, spare = spare, grid
        return grid

    def apply(self, values: torch.Tensor) -> torch.Tensor:
        """Filter ``values`` (P, C) -> (P, C) (float32)."""
        if values.shape[0] != self.num_points:
            raise ValueError(f'PermutohedralLattice.apply: expected {self.num_points} rows, got {values.shape[0]}')
        return self.slice @ self.blur_values(self.splat @ values.to(torch.float32).contiguous())


class LatticeKernel:
    """One normalised, weighted kernel of the dense-CRF message: ``w D L D`` with ``L`` a lattice filter.

    ``D = diag(1 / sqrt(L 1 + 1e-20))`` (NORMALIZE_SYMMETRIC) is computed once and folded into the splat
    columns and, with ``w``, into the slice rows, so applying the kernel costs its splat, its blur steps and its
    slice. :meth:`compose` multiplies the chain out into one (points x points) sparse matrix when that has fewer
    entries than the chain (small grids with a narrow kernel, e.g. SEC's 41x41 smoothness kernel).

    Args:
        lattice: the :class:`PermutohedralLattice`.
        weight: the kernel weight ``w``.
    """

    def __init__(self, lattice: PermutohedralLattice, weight: float):
        lat = lattice
        self.lattice = lat
        self.num_points = lat.num_points
        ones = torch.ones(lat.num_points, 1, device=lat.splat.device)
        norm = torch.rsqrt(lat.apply(ones) + 1e-20).view(-1)  # (points,)
        crow, col, val = lat.splat.crow_indices(), lat.splat.col_indices(), lat.splat.values()
        self.splat = _csr(crow, col, val * norm[col.long()], lat.splat.shape)
        s_crow, s_col, s_val = lat.slice.crow_indices(), lat.slice.col_indices(), lat.slice.values()
        self.slice = _csr(s_crow, s_col, (s_val.view(lat.num_points, -1) * (weight * norm)[:, None]).reshape(-1),
                          lat.slice.shape)
        self.matrix = None  # the composed operator, see compose()
        self._buffers = None

    def chain_entries(self) -> int:
        """Stored entries the chain reads per column of values (splat, blur steps incl. their identity, slice)."""
        m = self.lattice.num_vertices
        return (self.splat.values().numel() + self.slice.values().numel()
                + sum(b.values().numel() + m for b in self.lattice.blur))

    def compose(self) -> bool:
        """Replace the chain by ``slice B_d ... B_0 splat`` as one sparse matrix if it has fewer entries.

        Returns whether it did. The product is formed in float32 sparse arithmetic: the result equals the chain
        up to float rounding.
        """
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            g = self.splat
            for blur in self.lattice.blur:
                g = g + blur @ g
            w = self.slice @ g
        if w.values().numel() >= self.chain_entries():
            return False
        self.matrix = _csr(w.crow_indices(), w.col_indices(), w.values(), w.shape)
        return True

    def apply(self, x: torch.Tensor, out: torch.Tensor, accumulate: bool = False) -> torch.Tensor:
        """``out (+)= w D L D x`` for values ``x`` (points, K); ``out`` (points, K)."""
        if self.matrix is not None:
            g = x
            op = self.matrix
        else:
            shape = (self.lattice.num_vertices, x.shape[1])
            if self._buffers is None or self._buffers[0].shape != shape:
                # kept between calls: fresh multi-megabyte tensors at every mean-field iteration would cost a
                # page fault per 4 KiB page
                self._buffers = (x.new_empty(shape), x.new_empty(shape))
            torch.mm(self.splat, x, out=self._buffers[0])
            g = self.lattice.blur_values(*self._buffers)
            op = self.slice
        if accumulate:
            return torch.addmm(out, op, g, out=out)
        return torch.mm(op, g, out=out)


class LatticeMessage:
    """The dense-CRF message ``sum_m w_m D_m L_m D_m Q`` of several :class:`LatticeKernel`.

    ``apply(q)`` takes ``q`` as (P, B, C), pixel-major. A kernel over the P pixels of one image is shared by
    the B images (it filters the (P, B C) view at once: the position-only kernel is the same for every image
    of a batch); a kernel over all P B points of the batch (point p of image b is row ``p * B + b``) filters
    the (P B, C) view.
    """

    def __init__(self, kernels: Sequence[LatticeKernel]):
        self.kernels = list(kernels)

    def apply(self, q: torch.Tensor, out: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(P, B, C) -> (P, B, C) message (written to ``out`` when given)."""
        if out is None:
            out = torch.empty_like(q)
        for k, kernel in enumerate(self.kernels):
            kernel.apply(q.view(kernel.num_points, -1), out.view(kernel.num_points, -1), accumulate=k > 0)
        return out
