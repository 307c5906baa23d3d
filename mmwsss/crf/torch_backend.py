"""Batched mean-field inference of the fully-connected CRF in plain PyTorch (CPU or GPU).

Model (Krähenbühl & Koltun 2011; pydensecrf ``DenseCRF::inference`` with Potts compatibility,
DIAG_KERNEL features and NORMALIZE_SYMMETRIC; SEC pylayers/pylayers.py, CRFLayer):

    Q^0     = softmax_c(-U)
    Q^{t+1} = softmax_c(-U + sum_m w_m * D_m K_m D_m Q^t)

* ``K_m[i, j] = exp(-|f_i - f_j|^2 / 2)`` with the **self term included** (pydensecrf's lattice filters
  the pixel's own value too; nothing is subtracted);
* features: gaussian ``(x / sxy, y / sxy)``, bilateral ``(x / sxy, y / sxy, r / srgb, g / srgb, b / srgb)``
  with integer pixel coordinates;
* ``D_m = diag(1 / sqrt(K_m 1 + 1e-20))`` (NORMALIZE_SYMMETRIC);
* Potts: pydensecrf's ``PottsCompatibility`` returns ``-w Q~`` and inference subtracts it, so the message
  *adds* ``w K Q`` to the logits (equivalent to the usual Potts penalty up to a per-pixel constant).

Two filters compute ``K_m v``:

* ``exact``: the dense ``(H W) x (H W)`` kernel per image (used for small grids such as SEC's 41x41
  training CRF; memory ``B * (HW)^2 * 4`` bytes, processed in chunks of images);
* ``lattice``: the permutohedral lattice (:mod:`mmwsss.crf.permutohedral`), linear memory, the same
  approximation pydensecrf makes; used for full-resolution images.
"""
import functools
from typing import Optional, Sequence

import torch

from .permutohedral import LatticeKernel, LatticeMessage, PermutohedralLattice

__all__ = ['torch_mean_field', 'pairwise_features', 'exact_kernel_bytes', 'EXACT_MAX_PIXELS']

#: Above this many pixels per image ``method='auto'`` switches from the exact kernel to the lattice.
EXACT_MAX_PIXELS = 64 * 64
#: Cap on the bytes of dense kernel matrices held at once by the exact method.
_EXACT_CHUNK_BYTES = 256 * 2**20


def pairwise_features(images: torch.Tensor, sxy: float, srgb: Optional[float]) -> torch.Tensor:
    """Per-pixel kernel features, as pydensecrf's ``addPairwiseGaussian/Bilateral`` build them.

    Args:
        images: (B, H, W, 3) uint8 (only used when ``srgb`` is given).
        sxy: spatial standard deviation (already divided by the scale factor).
        srgb: colour standard deviation, or ``None`` for the gaussian (position-only) kernel.

    Returns:
        (B, H*W, 2) or (B, H*W, 5) float32 features, pixel order row-major (y, x).
    """
    B, H, W = images.shape[:3]
    dev = images.device
    sxy_t = torch.tensor(sxy, dtype=torch.float32)
    ys, xs = torch.meshgrid(torch.arange(H, device=dev, dtype=torch.float32),
                            torch.arange(W, device=dev, dtype=torch.float32), indexing='ij')
    pos = torch.stack([xs / sxy_t.to(dev), ys / sxy_t.to(dev)], -1).reshape(1, H * W, 2).expand(B, -1, -1)
    if srgb is None:
        return pos.contiguous()
    col = images.reshape(B, H * W, 3).to(torch.float32) / torch.tensor(srgb, dtype=torch.float32, device=dev)
    return torch.cat([pos, col], -1).contiguous()


#: The position-only kernel is multiplied out into one sparse matrix (when that is cheaper) up to this many pixels.
COMPOSE_MAX_PIXELS = 64 * 64


@functools.lru_cache(maxsize=4)
def _position_kernel(height: int, width: int, sxy: float, weight: float, device: str) -> LatticeKernel:
    """The normalised, weighted position-only (gaussian) kernel over one image's pixels.

    It depends on the image size, ``sxy`` and the weight only: one kernel serves every image of a batch and,
    cached, every call of the same size (SEC's training CRF calls this with the same 41x41 grid at every
    iteration); small grids get the composed matrix (:meth:`LatticeKernel.compose`).
    """
    dummy = torch.zeros(1, height, width, 3, dtype=torch.uint8, device=device)
    kernel = LatticeKernel(PermutohedralLattice(pairwise_features(dummy, sxy, None)[0]), weight)
    if height * width <= COMPOSE_MAX_PIXELS:
        kernel.compose()
    return kernel


def _lattice_mean_field(neg_u: torch.Tensor, images: torch.Tensor, kernel, iterations: int) -> torch.Tensor:
    """Mean field with lattice filters; ``neg_u`` (P, B, C) pixel-major, returns Q in the same layout."""
    gw, gsxy, bw, bsxy, bsrgb = kernel
    P, B, C = neg_u.shape
    H, W = images.shape[1:3]
    kernels = []
    if gw != 0:
        kernels.append(_position_kernel(H, W, float(gsxy), float(gw), str(neg_u.device)))
    if bw != 0:
        feats = pairwise_features(images, bsxy, bsrgb).transpose(0, 1).reshape(P * B, -1)  # pixel-major
        lattice = PermutohedralLattice(feats, torch.arange(B, device=neg_u.device).repeat(P))
        kernels.append(LatticeKernel(lattice, float(bw)))
    message = LatticeMessage(kernels)
    Q = torch.softmax(neg_u, -1)
    logits = torch.empty_like(Q)
    for _ in range(iterations):
        message.apply(Q, out=logits).add_(neg_u)  # the message buffer is reused: no page faults
        Q = torch.softmax(logits, -1)
    return Q


def _exact_operator(feats: Sequence[torch.Tensor], weights: Sequence[float]) -> torch.Tensor:
    """Combined message matrix ``sum_m w_m D_m K_m D_m`` for a chunk of images, (b, P, P) float32."""
    A = None
    for f, w in zip(feats, weights):
        if w == 0:
            continue
        sq = (f * f).sum(-1)
        # |fi - fj|^2 = |fi|^2 + |fj|^2 - 2 fi.fj; clamp tiny negatives from cancellation.
        dist = (sq.unsqueeze(2) + sq.unsqueeze(1) - 2 * torch.bmm(f, f.transpose(1, 2))).clamp_min_(0)
        K = torch.exp_(dist.mul_(-0.5))
        norm = torch.rsqrt(K.sum(2) + 1e-20)  # (b, P)
        K.mul_(norm.unsqueeze(2)).mul_(norm.unsqueeze(1) * w)
        A = K if A is None else A.add_(K)
    return A


def torch_mean_field(unary: torch.Tensor,
                     images: torch.Tensor,
                     gaussian_weight: float,
                     gaussian_sxy: float,
                     bilateral_weight: float,
                     bilateral_sxy: float,
                     bilateral_srgb: float,
                     iterations: int,
                     method: str = 'auto') -> torch.Tensor:
    """Mean-field marginals of the dense CRF (inputs are assumed validated by :func:`mmwsss.crf.dense_crf`).

    Args:
        unary: (B, C, H, W) float unary energies (negative log-probabilities up to a per-pixel constant).
        images: (B, H, W, 3) uint8 RGB images on the same device.
        gaussian_weight, gaussian_sxy: smoothness kernel (effective sxy, scale factor applied).
        bilateral_weight, bilateral_sxy, bilateral_srgb: appearance kernel.
        iterations: number of mean-field updates (0 returns ``softmax(-unary)``).
        method: ``'exact'``, ``'lattice'`` or ``'auto'`` (exact up to :data:`EXACT_MAX_PIXELS` pixels).

    Returns:
        (B, C, H, W) float32 marginals Q on ``unary``'s device.
    """
    B, C, H, W = unary.shape
    P = H * W
    if method == 'auto':
        method = 'exact' if P <= EXACT_MAX_PIXELS else 'lattice'
    if method not in ('exact', 'lattice'):
        raise ValueError(f"torch_mean_field: method must be 'exact', 'lattice' or 'auto', got {method!r}")
    neg_u = -unary.to(torch.float32).reshape(B, C, P).transpose(1, 2).contiguous()  # (B, P, C)
    if iterations == 0 or (gaussian_weight == 0 and bilateral_weight == 0):
        return torch.softmax(neg_u, -1).transpose(1, 2).reshape(B, C, H, W)

    if method == 'exact':
        kernels = []
        if gaussian_weight != 0:
            kernels.append((pairwise_features(images, gaussian_sxy, None), float(gaussian_weight)))
        if bilateral_weight != 0:
            kernels.append((pairwise_features(images, bilateral_sxy, bilateral_srgb), float(bilateral_weight)))
        if 8 * P * P > 4 * 2**30:
            raise ValueError(f"torch_method='exact' needs {8 * P * P / 2**30:.0f} GiB of kernel matrices per image at "
                             f"{H}x{W}; use torch_method='lattice' (or 'auto') for images this large")
        out = []
        chunk = max(1, int(_EXACT_CHUNK_BYTES // (4 * P * P * 2)))  # K and the combined operator
        for s in range(0, B, chunk):
            A = _exact_operator([f[s:s + chunk] for f, _ in kernels], [w for _, w in kernels])
            nu = neg_u[s:s + chunk]
            Q = torch.softmax(nu, -1)
            for _ in range(iterations):
                Q = torch.softmax(nu + torch.bmm(A, Q), -1)
            out.append(Q)
            del A
        Q = torch.cat(out, 0)
    else:
        Q = _lattice_mean_field(neg_u.permute(1, 0, 2).contiguous(), images,
                                (gaussian_weight, gaussian_sxy, bilateral_weight, bilateral_sxy, bilateral_srgb),
                                iterations).transpose(0, 1)
    return Q.transpose(1, 2).reshape(B, C, H, W)


def exact_kernel_bytes(num_images: int, height: int, width: int) -> int:
    """Peak bytes of dense kernel matrices the exact method holds for a batch (for the docs/benchmarks)."""
    P = height * width
    chunk = max(1, int(_EXACT_CHUNK_BYTES // (4 * P * P * 2)))
    return min(num_images, chunk) * P * P * 4 * 2

