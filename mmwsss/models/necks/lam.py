"""BLPSeg Local Aggregation Module (LAM): BLPSeg lib/net/blpseg.py, local_aggregation.

LAM re-mixes the stride-4 segmentation logits of every image with an attention whose keys are a
learned 4x4/stride-4 patch embedding of the (normalised) input image and whose bias is a fixed
Gaussian of the grid distance (sigma = 6 cells):

    W[a, b]   = exp(f_a . f_b - |p_a - p_b|^2 / 2 sigma^2) / sum_a' exp(...)      (BLPSeg lib/net/blpseg.py,
    local_aggregation closed form) out[c, b] = sum_a s[c, a] W[a, b]

One function computes LAM, one checks it:

* :func:`lam_dense` builds the dense N x N matrices exactly as the original code does
  (softmax over ``a`` of the dot products, times the Gaussian, renormalised with ``+ 1e-7``).
  Memory is quadratic in the number of positions N = h * w; it is the test reference.
* :func:`lam_attention` (used in training and inference) folds the Gaussian into the dot product,

      -|p_a - p_b|^2 / 2 sigma^2 = (p_a . p_b) / sigma^2 - |p_a|^2 / 2 sigma^2 - |p_b|^2 / 2 sigma^2,

  drops the query-only term ``|p_b|^2`` (constant in the softmax over ``a``), and so turns LAM into a
  standard scaled-dot-product attention with queries ``[f_b, p_b / sigma, 1]``, keys
  ``[f_a, p_a / sigma, -|p_a|^2 / 2 sigma^2]`` and values ``s[:, a]``. PyTorch's fused (flash)
  attention then never materialises the N x N matrix, so memory grows linearly with N. Given the patch
  embedding in factored form (:meth:`BLPPatchEmbed.factorize`), it runs the same attention on the rank-49
  coordinates instead of the 256-d features (:class:`LocalAggregationModule` does so by default).
"""
import math
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS

__all__ = ['lam_dense', 'lam_attention', 'grid_coordinates', 'BLPPatchEmbed', 'LocalAggregationModule']


def grid_coordinates(h: int, w: int, device=None, dtype=torch.float32, center: bool = False) -> torch.Tensor:
    """Row/column coordinates of an ``h x w`` grid in grid units.

    Args:
        h: Grid height.
        w: Grid width.
        device: Torch device.
        dtype: Floating dtype.
        center: Subtract the grid centre (keeps the folded attention logits small; distances are
            translation invariant, so the result of LAM does not change).

    Returns:
        Tensor of shape (h * w, 2), row-major (index ``r * w + c`` holds ``(r, c)``).
    """
    rows = torch.arange(h, device=device, dtype=dtype)
    cols = torch.arange(w, device=device, dtype=dtype)
    if center:
        rows = rows - (h - 1) / 2.0
        cols = cols - (w - 1) / 2.0
    rr, cc = torch.meshgrid(rows, cols, indexing='ij')
    return torch.stack([rr.reshape(-1), cc.reshape(-1)], dim=1)


def _check_inputs(logits: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
    if logits.dim() != 4 or feats.dim() != 4:
        raise ValueError(f'LAM expects logits (N, C, h, w) and features (N, D, h, w), got '
                         f'{tuple(logits.shape)} and {tuple(feats.shape)}')
    if logits.shape[0] != feats.shape[0]:
        raise ValueError(f'LAM: batch sizes differ: logits {logits.shape[0]}, features {feats.shape[0]}')
    if feats.shape[2:] != logits.shape[2:]:
        # The original resizes the embedding to the logit grid when the two disagree (BLPSeg lib/net/blpseg.py,
        # local_aggregation).
        feats = F.interpolate(feats, size=logits.shape[2:], mode='bilinear', align_corners=False)
    return feats


def lam_dense(logits: torch.Tensor, feats: torch.Tensor, sigma: float = 6.0, eps: float = 1e-7) -> torch.Tensor:
    """Dense (quadratic-memory) LAM, written like the original for use as a test reference (BLPSeg blpseg.py).

    Args:
        logits: Segmentation logits ``s``, shape (N, C, h, w).
        feats: Patch embedding ``f``, shape (N, D, h', w'); resized bilinearly to (h, w) if needed.
        sigma: Gaussian width in grid cells.
        eps: Added to the renormalisation denominator (the original's ``1e-7``).

    Returns:
        Aggregated logits, shape (N, C, h, w).
    """
    feats = _check_inputs(logits, feats)
    n, c, h, w = logits.shape
    s = logits.reshape(n, c, h * w)
    f = feats.reshape(n, feats.shape[1], h * w)
    affinity = torch.einsum('nda,ndb->nab', f, f).softmax(dim=1)  # softmax over a (BLPSeg blpseg.py)
    p = grid_coordinates(h, w, device=logits.device, dtype=torch.float32)
    gauss = torch.exp(-torch.cdist(p, p).pow(2) / (2.0 * sigma ** 2)).to(affinity.dtype)
    weight = affinity * gauss.unsqueeze(0)
    weight = weight / (weight.sum(dim=1, keepdim=True) + eps)
    out = torch.einsum('nca,nab->ncb', s, weight)
    return out.reshape(n, c, h, w)


def _compute_dtype(x: torch.Tensor) -> torch.dtype:
    # float32 at least (half would round the folded logits visibly); float64 stays (exact tests)
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def _pad_last(x: torch.Tensor, size: int) -> torch.Tensor:
    return F.pad(x, (0, size - x.shape[-1])) if x.shape[-1] < size else x


def lam_attention(logits: torch.Tensor, feats: Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
                  sigma: float = 6.0) -> torch.Tensor:
    """Linear-memory LAM through fused scaled-dot-product attention (BLPSeg blpseg.py closed form).

    Queries ``[f_b, p_b / sigma, 1]``, keys ``[f_a, p_a / sigma, -|p_a|^2 / (2 sigma^2)]``, values
    ``s[:, a]``, attention scale 1. All three are zero-padded to one common last dimension that is a
    multiple of 8, because PyTorch's fused CPU (flash) kernel needs equal head sizes; zero columns
    change neither the dot products nor (after slicing) the output. The computation runs in float32
    even under autocast: the folded logits are sums of terms of size ~|p|^2 / sigma^2, which
    half precision would round visibly.

    Args:
        logits: Segmentation logits ``s``, shape (N, C, h, w).
        feats: Patch embedding ``f``, shape (N, D, h', w') (resized bilinearly to (h, w) if needed), or the
            embedding in factored form ``(z, M, c)`` of :meth:`BLPPatchEmbed.factorize` (``f = M z + c``; the
            attention then runs on the ``r``-dim ``z``, see :func:`_lam_factored`).
        sigma: Gaussian width in grid cells.

    Returns:
        Aggregated logits, shape (N, C, h, w), dtype of ``logits``.
    """
    if isinstance(feats, (tuple, list)):
        return _lam_factored(logits, *feats, sigma=sigma)
    feats = _check_inputs(logits, feats)
    n, c, h, w = logits.shape
    d = feats.shape[1]
    out_dtype = logits.dtype
    dt = _compute_dtype(logits)
    device_type = logits.device.type
    with torch.autocast(device_type=device_type, enabled=False):
        s = logits.to(dt).reshape(n, c, h * w).transpose(1, 2)  # (N, hw, C) values
        f = feats.to(dt).reshape(n, d, h * w).transpose(1, 2)  # (N, hw, D)
        # Centred coordinates keep |p|^2 / sigma^2 small, so fp32 cancellation stays ~1e-6.
        p = grid_coordinates(h, w, device=logits.device, center=True, dtype=dt) / sigma  # (hw, 2)
        ones = torch.ones(h * w, 1, device=logits.device, dtype=dt)
        q_extra = torch.cat([p, ones], dim=1)
        k_extra = torch.cat([p, -0.5 * p.pow(2).sum(dim=1, keepdim=True)], dim=1)
        q = torch.cat([f, q_extra.expand(n, -1, -1)], dim=2)
        k = torch.cat([f, k_extra.expand(n, -1, -1)], dim=2)
        dim = int(math.ceil(max(d + 3, c) / 8.0) * 8)
        q = _pad_last(q, dim).unsqueeze(1)
        k = _pad_last(k, dim).unsqueeze(1)
        v = _pad_last(s, dim).unsqueeze(1)
        out = F.scaled_dot_product_attention(q, k, v, scale=1.0)  # (N, 1, hw, dim)
        out = out[:, 0, :, :c].transpose(1, 2).reshape(n, c, h, w)
    return out.to(out_dtype)


def _lam_factored(logits: torch.Tensor, z: torch.Tensor, proj: torch.Tensor, bias: torch.Tensor,
                  sigma: float = 6.0) -> torch.Tensor:
    """LAM for features given in factored form ``f = proj @ z + bias`` (exact; see :meth:`BLPPatchEmbed.factorize`).

    With ``f_a = M z_a + c`` the attention logit is ``z_a^T (M^T M) z_b + (M^T c) . z_a`` plus terms that
    depend on the query ``b`` only (dropped by the softmax over ``a``). Queries ``[z_b, p_b / sigma, 1, 1]``,
    keys ``[(M^T M) z_a, p_a / sigma, -|p_a|^2 / 2 sigma^2, (M^T c) . z_a]``: the head size is
    ``r + 4`` instead of ``D + 3`` (53 instead of 259 for a 4x4 RGB patch embedding of width 256),
    which cuts the work of the fused attention by about 5x for the same result.

    Args:
        logits: (N, C, h, w) segmentation logits.
        z: (N, r, h', w') per-position coordinates (resized bilinearly to (h, w) if needed; bilinear
            weights sum to 1, so this equals resizing ``f``).
        proj: (D, r) matrix ``M``.
        bias: (D,) vector ``c``.
        sigma: Gaussian width in grid cells.

    Returns:
        (N, C, h, w) aggregated logits, dtype of ``logits``.
    """
    z = _check_inputs(logits, z)
    n, c, h, w = logits.shape
    r = z.shape[1]
    if proj.shape[1] != r or bias.shape != proj.shape[:1]:
        raise ValueError(f'LAM (factored): proj {tuple(proj.shape)} / bias {tuple(bias.shape)} do not match '
                         f'z with {r} channels')
    out_dtype = logits.dtype
    dt = _compute_dtype(logits)
    with torch.autocast(device_type=logits.device.type, enabled=False):
        proj = proj.to(dt)
        s = logits.to(dt).reshape(n, c, h * w).transpose(1, 2)
        zt = z.to(dt).reshape(n, r, h * w).transpose(1, 2)  # (N, hw, r)
        kz = zt @ (proj.t() @ proj)
        kb = zt @ (proj.t() @ bias.to(dt)).unsqueeze(1)  # (N, hw, 1) key-only term of f_a . f_b
        p = grid_coordinates(h, w, device=logits.device, center=True, dtype=dt) / sigma
        ones = torch.ones(n, h * w, 2, device=logits.device, dtype=dt)
        q = torch.cat([zt, p.expand(n, -1, -1), ones], dim=2)
        k = torch.cat([kz, p.expand(n, -1, -1), (-0.5 * p.pow(2).sum(1, keepdim=True)).expand(n, -1, -1), kb],
                      dim=2)
        dim = int(math.ceil(max(r + 4, c) / 8.0) * 8)
        out = F.scaled_dot_product_attention(
            _pad_last(q, dim).unsqueeze(1), _pad_last(k, dim).unsqueeze(1), _pad_last(s, dim).unsqueeze(1),
            scale=1.0)
        out = out[:, 0, :, :c].transpose(1, 2).reshape(n, c, h, w)
    return out.to(out_dtype)


class BLPPatchEmbed(nn.Module):
    """Swin-style patch embedding of the normalised image: the "shallow feature" of LAM (BLPSeg lib/net/blpseg.py).

    Zero-pads right/bottom to a multiple of ``patch_size``, then conv ``patch_size`` x ``patch_size``
    stride ``patch_size`` (bias) -> LayerNorm over channels -> 1x1 conv (bias).

    Args:
        in_channels: Image channels.
        embed_dims: Output channels D.
        patch_size: Patch size and stride (4 = the decoder's output stride).
    """

    def __init__(self, in_channels: int = 3, embed_dims: int = 256, patch_size: int = 4):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, embed_dims, kernel_size=patch_size, stride=patch_size)
        self.norm = nn.LayerNorm(embed_dims)
        self.out = nn.Conv2d(embed_dims, embed_dims, kernel_size=1)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        """Embed an image batch.

        Args:
            img: (N, 3, H, W) normalised images.

        Returns:
            (N, D, ceil(H / 4), ceil(W / 4)) features.
        """
        x = self.proj(self._pad(img))
        x = self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.out(x)

    def _pad(self, img: torch.Tensor) -> torch.Tensor:
        # zero-pad right/bottom to a multiple of the patch size
        pad_h, pad_w = (-img.shape[2]) % self.patch_size, (-img.shape[3]) % self.patch_size
        return F.pad(img, (0, pad_w, 0, pad_h)) if pad_h or pad_w else img

    @property
    def factor_rank(self) -> int:
        """Rank ``r`` of :meth:`factorize`: pixels per patch x channels + 1."""
        return self.proj.in_channels * self.patch_size ** 2 + 1

    def factorize(self, img: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The embedding in factored form ``f = M z + c`` at every position (exact up to rounding).

        The patch conv is affine in the ``3 p^2`` pixels ``u`` of a patch, LayerNorm centres (linear) and divides
        by a per-position scalar ``s`` before its affine, and the 1x1 conv is affine, so
        ``f = W_o diag(gamma) Cen [P, b_p] [u; 1] / s + (W_o beta + b_o)``: every feature lies in an
        ``r = 3 p^2 + 1``-dimensional space (49 for 4x4 RGB patches), whatever the embedding width.

        Args:
            img: (N, 3, H, W) normalised images.

        Returns:
            tuple: ``z`` (N, r, ceil(H / p), ceil(W / p)), ``M`` (D, r), ``c`` (D,).
        """
        ps = self.patch_size
        img = self._pad(img)
        h, w = img.shape[2] // ps, img.shape[3] // ps
        u = F.unfold(img, kernel_size=ps, stride=ps)  # (N, 3 p^2, hw), ordered like the conv weight
        u = torch.cat([u, u.new_ones(u.shape[0], 1, u.shape[2])], dim=1)
        a = torch.cat([self.proj.weight.reshape(self.proj.out_channels, -1), self.proj.bias[:, None]], dim=1)
        a = a - a.mean(dim=0, keepdim=True)  # LayerNorm's centring, folded into the patch projection
        y = torch.einsum('dr,nrk->ndk', a, u)
        scale = torch.sqrt(y.pow(2).mean(dim=1, keepdim=True) + self.norm.eps)  # (N, 1, hw)
        z = (u / scale).reshape(u.shape[0], u.shape[1], h, w)
        w_out = self.out.weight.reshape(self.out.out_channels, -1)
        proj = w_out @ (self.norm.weight[:, None] * a)
        bias = w_out @ self.norm.bias + self.out.bias
        return z, proj, bias


_IMPLS = ('linear', 'attention', 'dense')


@MODELS.register_module()
class LocalAggregationModule(BaseModule):
    """LAM: patch embedding of the image + Gaussian-biased attention over the logits (BLPSeg blpseg.py).

    Applied after the segmentation head on the stride-4 logits, in training and inference.

    Args:
        in_channels: Image channels.
        embed_dims: Patch-embedding channels (256 in the original).
        patch_size: Patch size / stride of the embedding (4 = decoder stride).
        sigma: Gaussian width in grid cells (``MODEL_LAM_SIGMA`` = 6).
        impl: ``'linear'`` (default: :func:`lam_attention` on the exact factored embedding when it is wider
            than its rank ``3 p^2 + 1``, else on the embedding), ``'attention'`` (:func:`lam_attention` on the
            embedding; both linear memory) or ``'dense'`` (:func:`lam_dense`, quadratic reference).
        init_cfg: mmengine init config (unused; weights use kaiming fan-out, BLPSeg lib/net/blpseg.py).
    """

    def __init__(self, in_channels: int = 3, embed_dims: int = 256, patch_size: int = 4, sigma: float = 6.0,
                 impl: str = 'linear', init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if impl not in _IMPLS:
            raise ValueError(f'LocalAggregationModule: impl must be one of {list(_IMPLS)}, got {impl!r}')
        if sigma <= 0:
            raise ValueError(f'LocalAggregationModule: sigma must be > 0, got {sigma}')
        self.sigma = float(sigma)
        self.impl = impl
        self.embed = BLPPatchEmbed(in_channels, embed_dims, patch_size)
        self._kaiming_init()

    def _kaiming_init(self) -> None:
        # BLPSeg lib/net/blpseg.py: kaiming_normal_(fan_out, relu) on convs outside the backbone, default bias, LN
        # default.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')

    def init_weights(self) -> None:
        """Keep the kaiming init done in ``__init__`` (mmengine calls this after building)."""
        self._kaiming_init()

    def forward(self, logits: torch.Tensor, img: torch.Tensor) -> torch.Tensor:
        """Aggregate logits.

        Args:
            logits: (N, C, h, w) stride-4 segmentation logits.
            img: (N, 3, H, W) normalised input images.

        Returns:
            (N, C, h, w) aggregated logits.
        """
        if self.impl == 'dense':
            return lam_dense(logits, self.embed(img), self.sigma)
        if self.impl == 'linear' and self.embed.factor_rank < self.embed.out.out_channels:
            # exact low-rank form: the attention head shrinks from D + 3 to r + 4 (e.g. 259 -> 53)
            return lam_attention(logits, self.embed.factorize(img), self.sigma)
        return lam_attention(logits, self.embed(img), self.sigma)

    def extra_repr(self) -> str:
        return f'sigma={self.sigma}, impl={self.impl!r}'

