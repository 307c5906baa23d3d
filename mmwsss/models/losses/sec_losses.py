"""SEC losses: seeding, expansion (global weighted rank pooling) and constrain-to-boundary.

Formulas follow SEC pylayers/pylayers.py (Kolesnikov & Lampert, ECCV 2016). All three losses
work on the *low-resolution* logits of the segmentation network (41x41 for a 321x321 input);
nothing is upsampled. The pure functions (``sec_softmax``, ``gwrp``, ``sec_seed_loss``,
``sec_expand_loss``, ``sec_constrain_loss``) need only torch; the registered ``nn.Module``
wrappers live in the mmseg ``MODELS`` registry.
"""
from typing import Callable, Optional, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS

__all__ = [
    'sec_softmax', 'gwrp', 'sec_seed_loss', 'sec_expand_loss', 'sec_constrain_loss', 'crf_target',
    'SECSeedLoss', 'SECExpandLoss', 'SECConstrainLoss'
]

POOLINGS = ('gwrp', 'max', 'avg')


def sec_softmax(logits: Tensor, min_prob: float = 1e-4) -> Tensor:
    """SEC's softmax with a probability floor (SEC pylayers/pylayers.py, SoftmaxLayer).

    f = (softmax(z) + min_prob) / sum_c (softmax(z) + min_prob); every f >= min_prob / (1 + C*min_prob),
    so every log in the losses stays finite. Differentiable end to end.

    Args:
        logits: (N, C, H, W) raw scores.
        min_prob: Floor added before renormalising.

    Returns:
        Tensor: (N, C, H, W) probabilities summing to 1 over C.
    """
    p = F.softmax(logits, dim=1) + min_prob
    return p / p.sum(dim=1, keepdim=True)


def gwrp(probs: Tensor, decay: Union[float, Tensor]) -> Tensor:
    """Global weighted rank pooling (SEC pylayers/pylayers.py, ExpandLossLayer).

    Values of each map are sorted in descending order; the j-th largest gets weight d^(j-1),
    normalised by Z(d) = sum_j d^(j-1). d = 0 is global max pooling, d = 1 global average pooling.
    Gradients flow to the sorted values; the weights are constants.

    Args:
        probs: (N, C, H, W) or (N, C, n) scores.
        decay: Scalar decay d in [0, 1], or a (C,) tensor with one decay per channel.

    Returns:
        Tensor: (N, C) pooled scores.
    """
    flat = probs.flatten(2)
    n = flat.shape[-1]
    sorted_vals = flat.sort(dim=-1, descending=True).values
    d = torch.as_tensor(decay, dtype=flat.dtype, device=flat.device)
    if d.ndim == 0:
        d = d.expand(flat.shape[1])
    if ((d < 0) | (d > 1)).any():
        raise ValueError(f'GWRP decay must lie in [0, 1], got {d.tolist()}')
    ranks = torch.arange(n, dtype=flat.dtype, device=flat.device)
    # d**0 == 1 also for d == 0 in torch (0**0 = 1), so d = 0 is exactly max pooling.
    weights = d[:, None]**ranks[None, :]  # (C, n)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return (sorted_vals * weights[None]).sum(dim=-1)


def sec_seed_loss(probs: Tensor, cues: Tensor) -> Tensor:
    """Seeding loss (SEC pylayers/pylayers.py, SeedLossLayer), one normaliser per image, then the batch mean.

    L = -(1 / sum_c |S_c|) * sum_c sum_{u in S_c} log f_{u,c}. Images without a single cue
    contribute 0 (the original would give NaN); the batch mean still divides by N.

    Args:
        probs: (N, C, H, W) SEC-softmax probabilities (``sec_softmax``).
        cues: (N, C, H, W) 0/1 cue masks on the same grid (channel 0 = background).

    Returns:
        Tensor: scalar loss.
    """
    if cues.shape != probs.shape:
        raise ValueError(f'cues {tuple(cues.shape)} and probs {tuple(probs.shape)} must have the same shape')
    cues = cues.to(probs.dtype)
    count = cues.flatten(1).sum(dim=1)  # (N,)
    total = -(cues * torch.log(probs)).flatten(1).sum(dim=1)
    per_image = torch.where(count > 0, total / count.clamp(min=1), torch.zeros_like(total))
    return per_image.mean()


def _pool(probs: Tensor, pooling: str, decay: Union[float, Tensor]) -> Tensor:
    if pooling == 'gwrp':
        return gwrp(probs, decay)
    if pooling == 'max':
        return probs.flatten(2).max(dim=-1).values
    if pooling == 'avg':
        return probs.flatten(2).mean(dim=-1)
    raise ValueError(f'pooling must be one of {POOLINGS}, got {pooling!r}')


def sec_expand_loss(probs: Tensor,
                    img_labels: Tensor,
                    d_fg: float = 0.996,
                    d_bg: float = 0.999,
                    pooling: str = 'gwrp') -> Tensor:
    """Expansion loss with GWRP (SEC pylayers/pylayers.py, ExpandLossLayer).

    L = -mean_{c in T} log G_c(f; d_fg) - mean_{c in A} log(1 - max_u f_{u,c}) - log G_bg(f; d_bg),
    each of the three terms averaged over the images where its class set is non-empty (an empty
    set contributes nothing instead of the original's 0/0 = NaN). Background (channel 0) is always
    present.

    Args:
        probs: (N, C, H, W) SEC-softmax probabilities, channel 0 = background.
        img_labels: (N, C) multi-hot image labels (channel 0 ignored; > 0.5 = present) or
            (N, C-1) foreground-only labels.
        d_fg: GWRP decay for the present foreground classes.
        d_bg: GWRP decay for background.
        pooling: ``'gwrp'`` (SEC), or ``'max'`` / ``'avg'`` for the ablations: they replace the
            pooling of the present classes and background; absent classes always use max.

    Returns:
        Tensor: scalar loss.
    """
    n, c = probs.shape[:2]
    if img_labels.shape == (n, c - 1):
        fg_labels = img_labels
    elif img_labels.shape == (n, c):
        fg_labels = img_labels[:, 1:]
    else:
        raise ValueError(f'img_labels must have shape ({n}, {c}) or ({n}, {c - 1}), got {tuple(img_labels.shape)}')
    present = (fg_labels > 0.5).to(probs.dtype)  # (N, C-1)
    absent = 1.0 - present

    fg = probs[:, 1:]
    pooled_fg = _pool(fg, pooling, d_fg)  # (N, C-1)
    max_fg = fg.flatten(2).max(dim=-1).values
    pooled_bg = _pool(probs[:, :1], pooling, d_bg)[:, 0]  # (N,)

    def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
        # mean over classes of each image, then over the images that have at least one class
        per_img_count = mask.sum(dim=1)
        per_img = (values * mask).sum(dim=1) / per_img_count.clamp(min=1)
        has = (per_img_count > 0).to(values.dtype)
        return (per_img * has).sum() / has.sum().clamp(min=1)

    # clamp only guards the 1 - max term against rounding to exactly 0 in float32
    loss_present = masked_mean(-torch.log(pooled_fg), present)
    loss_absent = masked_mean(-torch.log((1.0 - max_fg).clamp(min=torch.finfo(probs.dtype).tiny)), absent)
    loss_bg = -torch.log(pooled_bg).mean()
    return loss_present + loss_absent + loss_bg


def sec_constrain_loss(probs: Tensor, target: Tensor) -> Tensor:
    """Constrain-to-boundary loss KL(Q || f), averaged over pixels and batch (SEC pylayers.py).

    Args:
        probs: (N, C, H, W) SEC-softmax probabilities f.
        target: (N, C, H, W) CRF marginals Q (a constant: no gradient flows into it).

    Returns:
        Tensor: scalar loss.
    """
    if target.shape != probs.shape:
        raise ValueError(f'target {tuple(target.shape)} and probs {tuple(probs.shape)} must have the same shape')
    q = target.detach().to(probs.dtype)
    kl = q * (torch.log(q.clamp(min=torch.finfo(q.dtype).tiny)) - torch.log(probs))
    return kl.sum(dim=1).mean()


def crf_target(logits: Tensor,
               images: Tensor,
               crf_fn: Optional[Callable] = None,
               params='sec_train',
               min_prob: float = 1e-4) -> Tensor:
    """CRF marginal Q used as the constant target of the constrain loss (SEC pylayers.py).

    The unary energy is -logit, as in SEC's CRF layer (identical Q to -log softmax, and finite for any
    logit). Q is floored at ``min_prob`` and renormalised as in SEC. Computed without grad.

    Args:
        logits: (N, C, h, w) raw logits.
        images: (N, h, w, 3) uint8 RGB images already on the logits grid.
        crf_fn: ``fn(unary (N, C, h, w), images, params) -> Q``; default ``mmwsss.crf.dense_crf``.
        params: CRF preset name or parameter object (SEC training: ``'sec_train'``).
        min_prob: Floor of Q.

    Returns:
        Tensor: (N, C, h, w) float32 Q on ``logits.device``.
    """
    if crf_fn is None:
        from mmwsss.crf import dense_crf

        def crf_fn(unary, imgs, prm):
            return dense_crf(None, imgs, prm, unary=unary)

    if images.shape[:3] != (logits.shape[0], ) + tuple(logits.shape[2:]) or images.shape[-1] != 3:
        raise ValueError(f'images must have shape (N, h, w, 3) = ({logits.shape[0]}, {logits.shape[2]}, '
                         f'{logits.shape[3]}, 3) to match the logits, got {tuple(images.shape)}')
    with torch.no_grad():
        unary = -logits.detach().float().cpu()
        imgs = images
        if imgs.dtype != torch.uint8:
            imgs = imgs.round().clamp(0, 255).to(torch.uint8)
        q = crf_fn(unary, imgs.cpu(), params)
        q = torch.as_tensor(np.asarray(q) if not isinstance(q, Tensor) else q, dtype=torch.float32)
        q = q.clamp(min=min_prob)
        q = q / q.sum(dim=1, keepdim=True)
    return q.to(logits.device)


@MODELS.register_module()
class SECSeedLoss(nn.Module):
    """Registered wrapper of :func:`sec_seed_loss`.

    Args:
        loss_weight: Multiplier (1 in SEC).
        loss_name: Key in the loss dict.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_seed'):
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, probs: Tensor, cues: Tensor) -> Tensor:
        """probs (N, C, H, W) SEC-softmax, cues (N, C, H, W) 0/1 -> scalar."""
        return self.loss_weight * sec_seed_loss(probs, cues)

    @property
    def loss_name(self) -> str:
        return self._loss_name


@MODELS.register_module()
class SECExpandLoss(nn.Module):
    """Registered wrapper of :func:`sec_expand_loss`.

    Args:
        d_fg: GWRP decay of present foreground classes (0.996 in SEC).
        d_bg: GWRP decay of background (0.999 in SEC).
        pooling: ``'gwrp'``, ``'max'`` or ``'avg'`` (ablations).
        loss_weight: Multiplier (1 in SEC).
        loss_name: Key in the loss dict.
    """

    def __init__(self,
                 d_fg: float = 0.996,
                 d_bg: float = 0.999,
                 pooling: str = 'gwrp',
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_expand'):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f'pooling must be one of {POOLINGS}, got {pooling!r}')
        for name, d in (('d_fg', d_fg), ('d_bg', d_bg)):
            if not 0.0 <= d <= 1.0:
                raise ValueError(f'{name} must lie in [0, 1], got {d}')
        self.d_fg, self.d_bg, self.pooling = d_fg, d_bg, pooling
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, probs: Tensor, img_labels: Tensor) -> Tensor:
        """probs (N, C, H, W) SEC-softmax, img_labels (N, C) multi-hot -> scalar."""
        return self.loss_weight * sec_expand_loss(probs, img_labels, self.d_fg, self.d_bg, self.pooling)

    @property
    def loss_name(self) -> str:
        return self._loss_name


@MODELS.register_module()
class SECConstrainLoss(nn.Module):
    """Constrain-to-boundary loss with the training-time dense CRF (SEC pylayers.py).

    Args:
        crf_params: Preset name for ``mmwsss.crf.dense_crf`` (``'sec_train'``: 10 iterations,
            bilateral w 10 / sxy 80/12 / srgb 13, gaussian w 3 / sxy 3/12).
        crf_backend: Backend passed to ``dense_crf``.
        min_prob: Floor of Q before renormalisation.
        loss_weight: Multiplier (1 in SEC).
        loss_name: Key in the loss dict.
    """

    def __init__(self,
                 crf_params='sec_train',
                 crf_backend: str = 'auto',
                 min_prob: float = 1e-4,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_constrain'):
        super().__init__()
        self.crf_params = crf_params
        self.crf_backend = crf_backend
        self.min_prob = min_prob
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def _crf(self, unary, images, params):
        from mmwsss.crf import dense_crf
        return dense_crf(None, images, params=params, backend=self.crf_backend, unary=unary)

    def forward(self, probs: Tensor, logits: Tensor, images: Tensor) -> Tensor:
        """Compute KL(Q || f).

        Args:
            probs: (N, C, h, w) SEC-softmax of ``logits``.
            logits: (N, C, h, w) raw logits (the CRF unary).
            images: (N, h, w, 3) uint8 images resized to the logits grid.
        """
        q = crf_target(logits, images, crf_fn=self._crf, params=self.crf_params, min_prob=self.min_prob)
        return self.loss_weight * sec_constrain_loss(probs, q)

    @property
    def loss_name(self) -> str:
        return self._loss_name
