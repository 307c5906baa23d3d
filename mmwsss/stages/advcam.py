"""AdvCAM: anti-adversarially manipulated attributions (Lee et al., CVPR 2021, Sec. 3; W-OoD ``get_advcam.py``).

For each scale and each labelled class ``c`` the image (and its horizontal flip, as a batch of two) is pushed
``adv_iter`` times along the gradient of

    J = l_c - sum_{k != c} l_k - coeff * sum(|R - R_0| * M)          (paper Eq. 2, 4-6)

where ``l = GAP(ReLU(A))`` of the class map ``A = W * f(x)`` (summed over the two images), ``R`` is the
Grad-CAM of class ``c`` on the classifier feature ``f`` (image + un-flipped flip), ``R_0`` its value on the
unperturbed image and ``M = 1[R / max R > score_th]`` the current map's most discriminative region, recomputed
every step. The step is ``x <- clamp(x + step * dJ/dx / max|dJ/dx|, min x, max x)`` (paper Eq. 3). The
attribution map of the class is the sum of ``R`` over the iterations (iteration 0 = plain Grad-CAM).

Aggregation over scales, the strided / high-res outputs and the max normalisation are those of
:func:`mmwsss.stages.cam.compute_cam`, so the ``.npy`` files have the same format and feed the IRN stage unchanged.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..models.utils.image_input import image_to_input
from .cam import CAM_HIGH_RES, cam_layout, rescale_image

__all__ = ['ADVCAM_DEFAULTS', 'grad_cam', 'gradcam_map', 'advcam_class', 'scale_schedule', 'compute_advcam']

# W-OoD get_advcam.py arguments: --adv_iter 27 --AD_coeff 7 --AD_stepsize 0.08 --score_th 0.5
ADVCAM_DEFAULTS = dict(adv_iter=27, coeff=7.0, step=0.08, score_th=0.5)


def grad_cam(feat: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """Grad-CAM maps as W-OoD ``gradcam.py`` (``gap2d_pos`` weights).

    Channel weight = spatial sum of the gradient / (number of positive entries in the whole gradient tensor
    + 1e-12); map = ReLU(sum_k w_k F_k).

    Args:
        feat: (N, D, h, w) feature maps.
        grads: (N, D, h, w) gradients of the class score w.r.t. ``feat`` (constants).

    Returns:
        Tensor: (N, h, w).
    """
    weights = grads.flatten(2).sum(-1) / ((grads > 0).sum() + 1e-12)
    return F.relu((feat * weights[..., None, None]).sum(1))


def gradcam_map(model, x: torch.Tensor, cls: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """One forward of the image + flip batch: Grad-CAM ``R`` of class ``cls`` and the class maps ``A``.

    ``A = W * f(x)`` without ReLU; the Grad-CAM gradient is that of the global *sum* pooling of ReLU(A) for
    ``cls`` over the batch, taken without a graph (the weights are constants for the ascent, as the original's
    backward hook). ``R = gcam[0] + flip(gcam[1])`` keeps its graph to ``x`` through the feature maps.

    Returns:
        tuple: ``R`` (h, w) and ``A`` (2, C_fg, h, w).
    """
    feat = model.extract_feat(x)
    cams = F.conv2d(feat, model.classifier.weight)
    score = F.relu(cams).flatten(2).sum(-1)[:, cls].sum()
    grads, = torch.autograd.grad(score, feat, retain_graph=True)
    gcam = grad_cam(feat, grads)
    return gcam[0] + gcam[1].flip(-1), cams


def scale_schedule(adv_iter: int) -> Tuple[int, float]:
    """Iterations of the reduced scale and the factor of every scale's map (W-OoD ``get_advcam.py``).

    The second scale of the list (0.5 in ``(1.0, 0.5, 1.5, 2.0)``) runs ``adv_iter // 2`` iterations with
    factor 2 when ``adv_iter > 10``, ``adv_iter`` iterations when ``adv_iter < 6`` and 5 otherwise (factor 1). The
    original processes that scale first and never resets the factor, so every scale's map gets it.
    """
    if adv_iter > 10:
        return adv_iter // 2, 2.0
    if adv_iter < 6:
        return adv_iter, 1.0
    return 5, 1.0


def advcam_class(model,
                 x: torch.Tensor,
                 cls: int,
                 n_iter: int,
                 coeff: float = 7.0,
                 step: float = 0.08,
                 score_th: float = 0.5) -> torch.Tensor:
    """Accumulated AdvCAM of one class at one scale.

    Args:
        model: a :class:`mmwsss.models.segmentors.CAMClassifier` in eval mode.
        x: (2, 3, H, W) normalised image and its horizontal flip.
        cls: 0-based foreground class.
        n_iter: number of maps summed (iteration 0 = plain Grad-CAM); ``n_iter - 1`` ascent steps.
        coeff: weight of the restriction term (``AD_coeff``).
        step: step size (``AD_stepsize``).
        score_th: threshold of ``R / max R`` for the restricted region (``score_th``).

    Returns:
        Tensor: (h, w) sum of the Grad-CAM maps over the iterations.
    """
    if x.dim() != 4 or x.shape[0] != 2:
        raise ValueError(f'advcam_class: x must be the image and its flip, (2, 3, H, W); got {tuple(x.shape)}')
    x = x.detach()
    acc, init = None, None
    for it in range(n_iter):
        x.requires_grad_(True)
        with torch.enable_grad():
            region, cams = gradcam_map(model, x, cls)
            acc = region.detach() if acc is None else acc + region.detach()
            if it == n_iter - 1:  # the original's last step changes nothing it writes
                break
            if init is None:
                init = region.detach()
            logit = F.relu(cams).flatten(2).mean(-1)  # (2, C_fg) GAP
            mask = (region.detach() / region.detach().max()) > score_th  # 0/0 -> NaN -> empty mask
            restrict = ((region - init).abs() * mask).sum()
            objective = 2 * logit[:, cls].sum() - logit.sum() - coeff * restrict
            grad, = torch.autograd.grad(objective, x)
        lo, hi = x.min().detach(), x.max().detach()
        x = torch.clamp(x.detach() + step * grad / (grad.abs().max() + 1e-12), lo, hi)
    return acc


def compute_advcam(model,
                   image: np.ndarray,
                   keys: Sequence[int],
                   scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                   adv_iter: int = 27,
                   coeff: float = 7.0,
                   step: float = 0.08,
                   score_th: float = 0.5,
                   high_res: str = 'strided_up') -> Dict[str, np.ndarray]:
    """AdvCAMs of one image in the format of :func:`mmwsss.stages.cam.compute_cam`.

    Each scale's input is the PIL-bicubic rescale of the uint8 image with its flip; the second scale runs the
    reduced schedule of :func:`scale_schedule` and is processed first, as the original. Per scale the class maps
    are resized bilinearly to the strided size and to the size rounded up to 16 (``high_res='strided_up'``,
    then cropped) or to H x W (``'direct'``), summed over scales and divided by their max + 1e-5.

    Returns:
        dict: ``keys`` (K,) int64, ``cam`` (K, ceil(H/4), ceil(W/4)) float32, ``high_res`` (K, H, W) float32.
    """
    from mmwsss.models.segmentors.cam_classifier import normalize_cams
    if adv_iter < 1:
        raise ValueError(f'compute_advcam: adv_iter must be >= 1 (1 = plain Grad-CAM), got {adv_iter}')
    if high_res not in CAM_HIGH_RES:
        raise ValueError(f'compute_advcam: high_res must be one of {CAM_HIGH_RES}, got {high_res!r}')
    h, w = image.shape[:2]
    keys, strided_size, high_size, empty = cam_layout(image, keys, high_res)
    if empty is not None:
        return empty
    reduced_iter, factor = scale_schedule(adv_iter)
    order = [1, 0] + list(range(2, len(scales))) if len(scales) > 1 else [0]
    strided: Optional[torch.Tensor] = None
    high: Optional[torch.Tensor] = None
    for i in order:
        x = image_to_input(model, rescale_image(image, scales[i]))
        x = torch.cat([x, x.flip(-1)])
        n_iter = reduced_iter if i == 1 else adv_iter
        maps = torch.stack([advcam_class(model, x, int(c), n_iter, coeff, step, score_th) for c in keys])[None]
        maps = maps * factor
        st = F.interpolate(maps, size=strided_size, mode='bilinear', align_corners=False)[0]
        hi = F.interpolate(maps, size=high_size, mode='bilinear', align_corners=False)[0]
        strided, high = (st, hi) if strided is None else (strided + st, high + hi)
    high = high[..., :h, :w]
    return dict(keys=keys, cam=normalize_cams(strided).cpu().numpy().astype(np.float32),
                high_res=normalize_cams(high).cpu().numpy().astype(np.float32))
