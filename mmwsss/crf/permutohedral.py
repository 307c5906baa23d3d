"""Permutohedral lattice (Adams et al. 2010) in plain PyTorch, batched, CPU or GPU.

This is the Gaussian filter that pydensecrf (Krähenbühl 2013, ``permutohedral.cpp``) uses for its
pairwise kernels. Re-implementing the same lattice (same elevation, rounding, simplex ranks,
barycentric weights, the ``[0.5, 1, 0.5]`` blur along the d+1 lattice axes and the
``alpha = 1 / (1 + 2^-d)`` slice factor) makes the torch backend follow pydensecrf's approximation
closely at full resolution, with memory linear in the number of pixels (never N x N): see
``docs/crf.md`` for the measured footprint.

The hash table of the C++ code is replaced by sorting: every lattice key is encoded into one int64
(mixed radix over the per-coordinate key ranges, plus the image index so that one lattice holds a whole
batch without mixing images) and looked up with ``torch.unique`` / ``torch.searchsorted``.
"""
import math
import warnings
from typing import Optional

import torch

__all__ = ['PermutohedralLattice', 'StackedLatticeMessage']


def _encode(keys: torch.Tensor, batch: torch.Tensor, kmin: torch.Tensor, radix: torch.Tensor) -> torch.Tensor:
    """Mixed-radix int64 code of integer keys ``(..., d)`` with the batch index as the top digit."""
    code = batch.clone()
    for i in range(keys.shape[-1]):
        code = code * radix[i] + (keys[..., i] - kmin[i])
    return code


class PermutohedralLattice:
    """Splat / blur / slice Gaussian filtering of per-point values over position features.

    ``apply(v)`` returns ``alpha * S^T B_d ... B_0 S v``, which approximates
    ``sum_j exp(-|f_i - f_j|^2 / 2) v_j`` (self included) within each image, exactly as pydensecrf's
    ``Permutohedral::compute``.

    Args:
        features: (P, d) float features, already divided by the kernel standard deviations.
        batch_index: (P,) int64 image index of each point (points of different images never interact).
            ``None`` means one image.

    Memory: splat and slice CSR matrices with P (d+1) entries each (int64 index + float32 value), d+1 blur
    CSR matrices with 3 M entries, and the (M+1, C) vertex values during ``apply``; M <= P (d+1) lattice
    vertices (usually far fewer). Nothing is quadratic in P.
    """

    def __init__(self, features: torch.Tensor, batch_index: Optional[torch.Tensor] = None):
        if features.ndim != 2:
            raise ValueError(f'PermutohedralLattice: features must be (P, d), got shape {tuple(features.shape)}')
        device = features.device
        f = features.to(torch.float32)
        P, d = f.shape
        self.d = d
        self.num_points = P
        if batch_index is None:
            batch_index = torch.zeros(P, dtype=torch.long, device=device)
        batch_index = batch_index.to(device=device, dtype=torch.long)

        # Elevate onto the hyperplane sum(x) = 0 in R^{d+1} (E matrix, p.5 of Adams et al.); the scale makes
        # the lattice blur a Gaussian of std 1 in feature space (p.6), as in permutohedral.cpp.
        inv_std_dev = math.sqrt(2.0 / 3.0) * (d + 1)
        idx = torch.arange(d, device=device, dtype=torch.float32)
        scale = (inv_std_dev / torch.sqrt((idx + 2) * (idx + 1))).to(torch.float32)
        cf = f * scale  # (P, d)
        # sm_j = sum_{i >= j} cf_i (reverse cumulative sum); elevated[j] = sm_{j} - j cf_{j-1} for j >= 1.
        rev_cum = torch.flip(torch.cumsum(torch.flip(cf, [1]), 1), [1])  # rev_cum[:, j] = sum_{i>=j} cf_i
        elevated = torch.empty(P, d + 1, device=device, dtype=torch.float32)
        elevated[:, 0] = rev_cum[:, 0]
        zeros = torch.zeros(P, 1, device=device, dtype=torch.float32)
        tail = torch.cat([rev_cum[:, 1:], zeros], 1)  # sum_{i >= j} cf_i for j = 1..d (0 for j = d)
        jj = torch.arange(1, d + 1, device=device, dtype=torch.float32)
        elevated[:, 1:] = tail - jj * cf

        # Closest 0-coloured lattice point (round to nearest, ties to even like _mm_round_ps).
        v = torch.round(elevated / (d + 1))
        rem0 = v * (d + 1)
        s = v.sum(1, keepdim=True)
        # Rank of each coordinate of the residual (pairwise comparison, ties broken as in the C++ loop).
        diff = elevated - rem0
        di = diff.unsqueeze(2)  # (P, d+1, 1)
        dj = diff.unsqueeze(1)  # (P, 1, d+1)
        upper = torch.triu(torch.ones(d + 1, d + 1, dtype=torch.bool, device=device), 1)  # j > i
        lower = upper.T  # j < i
        rank = ((di < dj) & upper).sum(2) + ((dj >= di) & lower).sum(2)
        rank = rank.to(torch.float32) + s
        add = (rank < 0).to(torch.float32) * (d + 1)
        sub = (rank >= d + 1).to(torch.float32) * (d + 1)
        rank = rank + add - sub
        rem0 = rem0 + add - sub

        # Barycentric coordinates (p.10 of Adams et al.).
        vb = (elevated - rem0) / (d + 1)
        rank_l = rank.long()
        bary = torch.zeros(P, d + 2, device=device, dtype=torch.float32)
        bary.scatter_add_(1, d - rank_l, vb)
        bary.scatter_add_(1, d - rank_l + 1, -vb)
        bary[:, 0] += 1 + bary[:, d + 1]
        self.barycentric = bary[:, :d + 1].contiguous()  # (P, d+1)

        # Vertex keys of the enclosing simplex: key_r[i] = rem0[i] + canonical[r, rank[i]], first d coords.
        r = torch.arange(d + 1, device=device)
        canonical = torch.where(r.view(1, -1) <= d - r.view(-1, 1), r.view(-1, 1), r.view(-1, 1) - (d + 1))
        rem0_l = rem0.long()[:, :d]  # (P, d)
        keys = rem0_l.unsqueeze(1) + canonical[:, rank_l[:, :d]].permute(1, 0, 2)  # (P, d+1, d)

        kmin = keys.reshape(-1, d).amin(0) - (d + 1)  # margin so blur neighbours stay encodable
        kmax = keys.reshape(-1, d).amax(0) + (d + 1)
        radix = kmax - kmin + 1
        nb = int(batch_index.max().item()) + 1 if P else 1
        if math.prod([int(x) for x in radix.tolist()]) * nb >= 2**62:
            raise ValueError('PermutohedralLattice: feature range too large to encode the lattice keys in int64; '
                             'are the kernel standard deviations tiny compared to the feature values?')
        codes = _encode(keys, batch_index.view(P, 1).expand(P, d + 1), kmin, radix)  # (P, d+1)
        # One sort gives the vertex table (unique codes), each entry's vertex id and the splat order.
        sorted_codes, order = torch.sort(codes.reshape(-1), stable=True)
        new = torch.ones_like(sorted_codes, dtype=torch.bool)
        new[1:] = sorted_codes[1:] != sorted_codes[:-1]
        uniq = sorted_codes[new]
        inverse = torch.empty_like(order)
        inverse[order] = torch.cumsum(new, 0) - 1
        M = uniq.numel()
        self.num_vertices = M
        self.offset = (inverse.view(P, d + 1) + 1).contiguous()  # 1-based; row 0 of values is the zero pad

        # One representative key per vertex, then its 2(d+1) blur neighbours.
        flat_keys = keys.reshape(-1, d)
        vkeys = torch.empty(M, d, dtype=torch.long, device=device)
        vkeys[inverse] = flat_keys
        vbatch = torch.empty(M, dtype=torch.long, device=device)
        vbatch[inverse] = batch_index.view(P, 1).expand(P, d + 1).reshape(-1)
        self.alpha = 1.0 / (1.0 + 2.0 ** (-d))

        # Sparse operators (CSR). Row/column 0 of the vertex space is the zero pad of permutohedral.cpp
        # (missing neighbours read it), kept so the operators are easy to compare with the original.
        bary = self.barycentric
        offset = inverse.view(P, d + 1) + 1
        self.offset = offset
        nnz = P * (d + 1)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # "sparse CSR support is in beta"
            # slice: point i reads its d+1 vertices with weights alpha * barycentric (rows already sorted).
            self.slice = torch.sparse_csr_tensor(
                torch.arange(0, nnz + 1, d + 1, device=device), offset.reshape(-1),
                (bary * self.alpha).reshape(-1), (P, M + 1))
            # splat: the transpose, rows in the code sort order (no duplicates to merge); row 0 is empty.
            crow = torch.zeros(M + 2, dtype=torch.long, device=device)
            crow[2:] = torch.cumsum(torch.bincount(inverse, minlength=M), 0)
            self.splat = torch.sparse_csr_tensor(crow, torch.div(order, d + 1, rounding_mode='floor'),
                                                 bary.reshape(-1)[order], (M + 1, P))
            # blur along each of the d+1 lattice axes: v_i + 0.5 (v_n1 + v_n2); row 0 stays zero.
            self.blur = []
            ar = torch.arange(1, M + 1, device=device)
            for j in range(d + 1):
                n1 = vkeys - 1
                n2 = vkeys + 1
                if j < d:
                    n1[:, j] = vkeys[:, j] + d
                    n2[:, j] = vkeys[:, j] - d
                cols = [ar]
                vals = [torch.ones(M, device=device)]
                for nk in (n1, n2):
                    c = _encode(nk, vbatch, kmin, radix)
                    pos = torch.searchsorted(uniq, c).clamp_max(M - 1)
                    found = uniq[pos] == c
                    cols.append(torch.where(found, pos + 1, torch.zeros_like(pos)))
                    vals.append(found.to(torch.float32) * 0.5)
                # 3 entries per row (absent neighbours point at column 0 with weight 0), columns unsorted
                # within a row, which CSR matmul accepts.
                col = torch.stack(cols, 1).reshape(-1)
                val = torch.stack(vals, 1).reshape(-1)
                crow_b = torch.cat([torch.zeros(1, dtype=torch.long, device=device),
                                    torch.arange(0, 3 * M + 1, 3, device=device)])
                self.blur.append(torch.sparse_csr_tensor(crow_b, col, val, (M + 1, M + 1)))

    def apply(self, values: torch.Tensor) -> torch.Tensor:
        """Filter ``values`` (P, C) -> (P, C) (float32)."""
        if values.shape[0] != self.num_points:
            raise ValueError(f'PermutohedralLattice.apply: expected {self.num_points} rows, got {values.shape[0]}')
        grid = self.splat @ values.to(torch.float32).contiguous()
        for blur in self.blur:
            grid = blur @ grid
        return self.slice @ grid


def _csr_parts(t: torch.Tensor):
    return t.crow_indices(), t.col_indices(), t.values()


def _identity_csr(n: int, device) -> torch.Tensor:
    ar = torch.arange(n + 1, device=device)
    return torch.sparse_csr_tensor(ar, ar[:-1], torch.ones(n, device=device), (n, n))


def _block_diag_csr(mats) -> torch.Tensor:
    crows, cols, vals = [], [], []
    nnz = 0
    off = 0
    for m in mats:
        cr, co, va = _csr_parts(m)
        crows.append(cr[(1 if crows else 0):] + nnz)
        cols.append(co + off)
        vals.append(va)
        nnz += va.numel()
        off += m.shape[1]
    return torch.sparse_csr_tensor(torch.cat(crows), torch.cat(cols), torch.cat(vals), (off, off))


class StackedLatticeMessage:
    """Weighted, symmetrically normalised sum of several lattice filters as one splat/blur/slice chain.

    ``apply(Q) = sum_m w_m D_m L_m D_m Q`` (the dense-CRF message, torch_backend.py), with the normalisation
    ``D_m`` folded into the splat/slice values and the kernels stacked block-diagonally, so one iteration
    costs d_max + 3 sparse matmuls instead of (d_m + 3) per kernel plus the element-wise scalings.

    Args:
        lattices: :class:`PermutohedralLattice` over the same points.
        norms: (P, 1) per-point normalisation of each lattice.
        weights: kernel weights ``w_m``.
    """

    def __init__(self, lattices, norms, weights):
        device = norms[0].device
        P = lattices[0].num_points
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            splats, slices_col, slices_val, sizes = [], [], [], []
            for lat, n, w in zip(lattices, norms, weights):
                cr, co, va = _csr_parts(lat.splat)
                splats.append(torch.sparse_csr_tensor(cr, co, va * n.view(-1)[co], lat.splat.shape))
                _, sco, sva = _csr_parts(lat.slice)
                k = lat.d + 1
                slices_col.append(sco.view(P, k))
                slices_val.append((sva.view(P, k) * (w * n.view(P, 1))))
                sizes.append(lat.num_vertices + 1)
            # stacked splat: rows of kernel m follow those of kernel m-1
            crows, cols, vals, nnz = [], [], [], 0
            for s in splats:
                cr, co, va = _csr_parts(s)
                crows.append(cr[(1 if crows else 0):] + nnz)
                cols.append(co)
                vals.append(va)
                nnz += va.numel()
            total = sum(sizes)
            self.splat = torch.sparse_csr_tensor(torch.cat(crows), torch.cat(cols), torch.cat(vals), (total, P))
            # blur steps: block-diagonal, identity for kernels with fewer lattice axes
            steps = max(lat.d + 1 for lat in lattices)
            self.blur = []
            for j in range(steps):
                blocks = [lat.blur[j] if j < len(lat.blur) else _identity_csr(sz, device)
                          for lat, sz in zip(lattices, sizes)]
                self.blur.append(_block_diag_csr(blocks))
            # stacked slice: each point reads its vertices in every kernel
            offs = [0]
            for sz in sizes[:-1]:
                offs.append(offs[-1] + sz)
            col = torch.cat([c + o for c, o in zip(slices_col, offs)], 1)
            val = torch.cat(slices_val, 1)
            k = col.shape[1]
            self.slice = torch.sparse_csr_tensor(torch.arange(0, P * k + 1, k, device=device), col.reshape(-1),
                                                 val.reshape(-1), (P, total))

    def apply(self, q: torch.Tensor) -> torch.Tensor:
        """(P, C) -> (P, C) message ``sum_m w_m D_m L_m D_m q``."""
        g = self.splat @ q.contiguous()
        for b in self.blur:
            g = b @ g
        return self.slice @ g
