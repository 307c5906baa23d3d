"""Public entry points of the dense CRF engine: parameters, presets, validation, backend choice.

Every method of mmwsss that needs Krähenbühl & Koltun's fully-connected CRF calls :func:`dense_crf`
(batched, training-time: SEC's constrain loss) or :func:`crf_postprocess` / :func:`crf_refine_labels`
(one image, test time / pseudo-label tools). See ``docs/crf.md`` for the presets' provenance.
"""
import dataclasses
import math
from dataclasses import dataclass
from typing import Dict, Optional, Tuple, Union

import numpy as np
import torch

__all__ = [
    'DenseCRFParams', 'CRF_PRESETS', 'get_crf_params', 'dense_crf', 'crf_postprocess', 'crf_refine_labels',
    'unary_from_probs', 'unary_from_labels', 'resolve_backend'
]

ArrayLike = Union[torch.Tensor, np.ndarray]

#: Tolerance on |sum_c p_c - 1| accepted by the probability check.
SUM_TOL = 1e-3


@dataclass(frozen=True)
class DenseCRFParams:
    """Kernel and unary parameters of the dense CRF (pydensecrf conventions, Potts compatibilities).

    Attributes:
        gaussian_weight: compat of the smoothness kernel (``addPairwiseGaussian(compat=...)``); 0 disables it.
        gaussian_sxy: its spatial std in pixels of the full-resolution image.
        bilateral_weight: compat of the appearance kernel; 0 disables it.
        bilateral_sxy: its spatial std in pixels of the full-resolution image.
        bilateral_srgb: its colour std in grey levels.
        iterations: mean-field iterations.
        scale_factor: the spatial stds are divided by it (SEC trains its CRF on the 41x41 grid of a
            321x321 image: scale 12, SEC pylayers/pylayers.py, CRFLayer and ConstrainLossLayer); the colour std is not
            scaled.
        min_prob: probabilities are clipped to ``[min_prob, 1]`` before ``-log`` (pydensecrf's
            ``unary_from_softmax(clip=...)``; no renormalisation). ``None``: no clip beyond the smallest
            positive float32, i.e. ``-log p`` as SEC's training CRF (-logits, up to a per-pixel constant).
        uniform_mix: ``unary_from_softmax``'s ``scale``: ``p <- s p + (1 - s) / C`` before clipping; ``None``
            disables it.
        gt_prob: confidence given to a hard label by :func:`unary_from_labels` (IRN: 0.7).
    """
    gaussian_weight: float = 3.0
    gaussian_sxy: float = 3.0
    bilateral_weight: float = 10.0
    bilateral_sxy: float = 80.0
    bilateral_srgb: float = 13.0
    iterations: int = 10
    scale_factor: float = 1.0
    min_prob: Optional[float] = 1e-5
    uniform_mix: Optional[float] = None
    gt_prob: float = 0.7

    def __post_init__(self):
        for f in ('gaussian_weight', 'bilateral_weight'):
            v = getattr(self, f)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f'DenseCRFParams.{f} must be a finite number >= 0, got {v!r}')
        for f in ('gaussian_sxy', 'bilateral_sxy', 'bilateral_srgb', 'scale_factor'):
            v = getattr(self, f)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f'DenseCRFParams.{f} must be a finite number > 0, got {v!r}')
        if not (isinstance(self.iterations, (int, np.integer)) and not isinstance(self.iterations, bool)
                and self.iterations >= 0):
            raise ValueError(f'DenseCRFParams.iterations must be an int >= 0, got {self.iterations!r}')
        if self.min_prob is not None and not (0 < self.min_prob < 1):
            raise ValueError(f'DenseCRFParams.min_prob must be in (0, 1) or None, got {self.min_prob!r}')
        if self.uniform_mix is not None and not (0 < self.uniform_mix <= 1):
            raise ValueError(f'DenseCRFParams.uniform_mix must be in (0, 1] or None, got {self.uniform_mix!r}')
        if not (0 < self.gt_prob < 1):
            raise ValueError(f'DenseCRFParams.gt_prob must be in (0, 1), got {self.gt_prob!r}')

    @property
    def kernel(self) -> Tuple[float, float, float, float, float]:
        """``(gaussian_weight, gaussian_sxy, bilateral_weight, bilateral_sxy, bilateral_srgb)`` with the
        spatial stds divided by ``scale_factor`` (what is handed to the backends)."""
        s = float(self.scale_factor)
        return (float(self.gaussian_weight), float(self.gaussian_sxy) / s, float(self.bilateral_weight),
                float(self.bilateral_sxy) / s, float(self.bilateral_srgb))

    def replace(self, **changes) -> 'DenseCRFParams':
        """A copy with some fields changed (e.g. ``CRF_PRESETS['sec_test'].replace(iterations=5)``)."""
        return dataclasses.replace(self, **changes)


#: Named presets; provenance in docs/crf.md.
CRF_PRESETS: Dict[str, DenseCRFParams] = {
    # SEC training CRF on the 41x41 grid: w1=10, theta_alpha=80/12, theta_beta=13, w2=3, theta_gamma=3/12,
    # 10 iterations, unary = -logits == -log softmax (SEC pylayers/pylayers.py, CRFLayer and ConstrainLossLayer).
    'sec_train': DenseCRFParams(3.0, 3.0, 10.0, 80.0, 13.0, 10, 12.0, None),
    # SEC test: full resolution, probabilities clipped at 1e-5 (no renormalisation), unary -log p (SEC deploy/demo.py).
    'sec_test': DenseCRFParams(3.0, 3.0, 10.0, 80.0, 13.0, 10, 1.0, 1e-5),
    # wsscoseg --crf: gaussian sxy 2 w 3; bilateral sxy 55 srgb 3 w 4; 10 iterations (wsscoseg eval_seg_model.py). Clip:
    # our choice.
    'wsscoseg': DenseCRFParams(3.0, 2.0, 4.0, 55.0, 3.0, 10, 1.0, 1e-8),
    # BLPSeg optional test CRF: unary_from_softmax (clip 1e-5), gaussian 3/3, bilateral 32/13/10, 1 iteration
    # (BLPSeg experiment/blpseg-voc/test.py).
    'blpseg': DenseCRFParams(3.0, 3.0, 10.0, 32.0, 13.0, 1, 1.0, 1e-5),
    # IRN confident-region CRF (W-OoD): unary_from_labels(gt_prob=0.7, zero_unsure=False), gaussian 3/3,
    # bilateral 50/5/10, 10 iterations (IRN, as run by W-OoD run_sample_pseudo_gt.py). Use crf_refine_labels for label
    # input.
    'irn': DenseCRFParams(3.0, 3.0, 10.0, 50.0, 5.0, 10, 1.0, 1e-5, None, 0.7),
    # DeepLab-v2 test CRF of the W-OoD final model (W-OoD README.md): pos 3/1, bi 4/67/3, 10 iterations.
    'deeplab_v2': DenseCRFParams(3.0, 1.0, 4.0, 67.0, 3.0, 10, 1.0, 1e-5),
}
# BESTIE's (unused in the original) utils/crf.py has IRN's values (BESTIE utils/utils.py, get_ins_map).
CRF_PRESETS['bestie'] = CRF_PRESETS['irn']


def get_crf_params(params: Union[DenseCRFParams, str, dict, None]) -> DenseCRFParams:
    """Resolve a preset name, a dict of fields (optionally with ``preset=<name>`` as the base) or params."""
    if params is None:
        return CRF_PRESETS['sec_test']
    if isinstance(params, DenseCRFParams):
        return params
    if isinstance(params, str):
        if params not in CRF_PRESETS:
            raise ValueError(f'unknown CRF preset {params!r}; available: {sorted(CRF_PRESETS)}')
        return CRF_PRESETS[params]
    if isinstance(params, dict):
        params = dict(params)
        base = params.pop('preset', None)
        try:
            return get_crf_params(base).replace(**params) if base is not None else DenseCRFParams(**params)
        except TypeError as e:
            raise ValueError(f'bad CRF parameters {params!r}: {e}') from e
    raise ValueError(f'CRF params must be a DenseCRFParams, a preset name or a dict, got {type(params).__name__}')


# ----------------------------------------------------------------------------------------------- validation
def _where(name: Optional[str]) -> str:
    return f'{name}: ' if name else ''


def _to_tensor(x, what: str, name: Optional[str]) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(x))
    raise ValueError(f'{_where(name)}{what} must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}')


def _check_float_map(x: torch.Tensor, what: str, name: Optional[str]) -> None:
    if x.ndim != 4:
        raise ValueError(f'{_where(name)}{what} must be 4-D (N, C, H, W), got shape {tuple(x.shape)}')
    if not x.is_floating_point():
        raise ValueError(f'{_where(name)}{what} must be a floating-point tensor, got dtype {x.dtype}')
    if min(x.shape) == 0:
        raise ValueError(f'{_where(name)}{what} is empty, shape {tuple(x.shape)}')
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        n_bad = int((~finite).sum())
        kind = 'NaN' if bool(torch.isnan(x).any()) else 'inf'
        raise ValueError(f'{_where(name)}{what} contains {n_bad} non-finite values ({kind})')


def _check_probs(p: torch.Tensor, name: Optional[str], tol: float = SUM_TOL) -> None:
    _check_float_map(p, 'probs', name)
    lo, hi = float(p.min()), float(p.max())
    if lo < -tol or hi > 1 + tol:
        raise ValueError(f'{_where(name)}probs must lie in [0, 1], got values in [{lo:.4g}, {hi:.4g}] '
                         '(pass logits as unary=-logits instead)')
    err = (p.sum(1, dtype=torch.float64) - 1).abs()
    worst = float(err.max())
    if worst > tol:
        idx = np.unravel_index(int(err.argmax()), tuple(err.shape))
        raise ValueError(f'{_where(name)}probs must sum to 1 over the class axis (dim 1) within {tol}; '
                         f'pixel (n, y, x) = {tuple(int(i) for i in idx)} sums to {1 + float(err.max()):.6g} '
                         f'(|sum - 1| = {worst:.3g}); apply softmax first or divide a multi-scale sum by '
                         'the number of scales')


def _check_images(img: torch.Tensor, n: int, hw: Tuple[int, int], name: Optional[str]) -> None:
    if img.dtype != torch.uint8:
        raise ValueError(f'{_where(name)}images must be uint8 RGB (0..255), got dtype {img.dtype}')
    if img.ndim != 4 or img.shape[-1] != 3:
        raise ValueError(f'{_where(name)}images must be (N, H, W, 3) RGB, got shape {tuple(img.shape)}')
    if img.shape[0] != n:
        raise ValueError(f'{_where(name)}batch size mismatch: {n} probability maps but {img.shape[0]} images')
    if tuple(img.shape[1:3]) != tuple(hw):
        raise ValueError(f'{_where(name)}size mismatch: image is {tuple(img.shape[1:3])} (H, W) but the '
                         f'probability/unary map is {tuple(hw)}; resize the map to the image first')


# -------------------------------------------------------------------------------------------------- unaries
def unary_from_probs(probs: torch.Tensor, params: DenseCRFParams) -> torch.Tensor:
    """``-log`` of (optionally uniform-mixed and clipped) probabilities, as pydensecrf's ``unary_from_softmax``.

    Args:
        probs: (N, C, H, W) probabilities.
        params: uses ``uniform_mix`` and ``min_prob``.

    Returns:
        (N, C, H, W) float32 unary energies.
    """
    p = probs.to(torch.float32)
    if params.uniform_mix is not None:
        p = params.uniform_mix * p + (1 - params.uniform_mix) / p.shape[1]
    lo = params.min_prob if params.min_prob is not None else torch.finfo(torch.float32).tiny
    return -torch.log(p.clamp(min=lo, max=1.0))


def unary_from_labels(labels: ArrayLike, num_classes: int, gt_prob: float = 0.7, zero_unsure: bool = False,
                      name: Optional[str] = None) -> torch.Tensor:
    """Unary of a hard label map, as pydensecrf's ``unary_from_labels`` (IRN's confident-region CRF).

    A labelled pixel gets energy ``-log(gt_prob)`` for its class and ``-log((1 - gt_prob) / (C - 1))``
    for the others. With ``zero_unsure`` label 0 means "unsure" (uniform) and classes are ``label - 1``.

    Args:
        labels: (N, H, W) or (H, W) integer labels in ``[0, C)`` (``[0, C]`` with ``zero_unsure``).
        num_classes: C (>= 2).
        gt_prob: confidence of the given label, in (0, 1).
        zero_unsure: pydensecrf's flag (IRN passes False).
        name: optional file/id used in error messages.

    Returns:
        (N, C, H, W) float32 unary (a leading batch axis is added for (H, W) input).
    """
    lab = _to_tensor(labels, 'labels', name)
    if lab.is_floating_point() or lab.dtype == torch.bool:
        raise ValueError(f'{_where(name)}labels must be an integer map, got dtype {lab.dtype}')
    if lab.ndim == 2:
        lab = lab[None]
    if lab.ndim != 3:
        raise ValueError(f'{_where(name)}labels must be (H, W) or (N, H, W), got shape {tuple(lab.shape)}')
    if num_classes < 2:
        raise ValueError(f'{_where(name)}num_classes must be >= 2, got {num_classes}')
    if not 0 < gt_prob < 1:
        raise ValueError(f'{_where(name)}gt_prob must be in (0, 1), got {gt_prob}')
    hi = num_classes if zero_unsure else num_classes - 1
    if lab.numel() and (int(lab.min()) < 0 or int(lab.max()) > hi):
        raise ValueError(f'{_where(name)}labels must lie in [0, {hi}] for {num_classes} classes, got '
                         f'[{int(lab.min())}, {int(lab.max())}] (map ignore values such as 255 first)')
    lab = lab.long()
    n_energy = -math.log((1.0 - gt_prob) / (num_classes - 1))
    p_energy = -math.log(gt_prob)
    U = torch.full((lab.shape[0], num_classes) + tuple(lab.shape[1:]), n_energy, dtype=torch.float32,
                   device=lab.device)
    idx = (lab - 1).clamp_min(0) if zero_unsure else lab
    U.scatter_(1, idx.unsqueeze(1), p_energy)
    if zero_unsure:
        U.masked_fill_((lab == 0).unsqueeze(1), -math.log(1.0 / num_classes))
    return U


# -------------------------------------------------------------------------------------------------- backends
def resolve_backend(backend: str, device: torch.device, num_pixels: int) -> str:
    """The concrete backend for ``'auto'`` (see docs/crf.md, measured in benchmarks/bench_crf.py).

    CUDA tensors -> ``'torch'`` (no host round trip). CPU -> ``'pydensecrf'`` when it is installed (its C++
    lattice is faster on a CPU than any torch version at every size we measured), else ``'torch'``.
    """
    if backend not in ('auto', 'torch', 'pydensecrf'):
        raise ValueError(f"backend must be 'auto', 'torch' or 'pydensecrf', got {backend!r}")
    if backend != 'auto':
        return backend
    if device.type != 'cpu':
        return 'torch'
    from .pydensecrf_backend import pydensecrf_available
    return 'pydensecrf' if pydensecrf_available() else 'torch'


def dense_crf(probs: Optional[ArrayLike],
              images: ArrayLike,
              params: Union[DenseCRFParams, str, dict, None] = 'sec_test',
              backend: str = 'auto',
              *,
              unary: Optional[ArrayLike] = None,
              torch_method: str = 'lattice',
              workers: int = 1,
              name: Optional[str] = None) -> torch.Tensor:
    """Mean-field marginals of the fully-connected CRF for a batch of images.

    Args:
        probs: (N, C, H, W) class probabilities (floating, summing to 1 over C), or ``None`` when ``unary``
            is given. They become ``-log(clip(p, params.min_prob))``.
        images: (N, H, W, 3) uint8 RGB images (tensor or ndarray), same H, W as the maps.
        params: a :class:`DenseCRFParams`, a preset name of :data:`CRF_PRESETS` or a dict of fields
            (``{'preset': 'sec_test', 'iterations': 5}``).
        backend: ``'torch'``, ``'pydensecrf'`` or ``'auto'`` (:func:`resolve_backend`).
        unary: (N, C, H, W) floating unary energies (e.g. ``-logits`` as SEC's training CRF), instead of probs.
        torch_method: torch backend filter: ``'lattice'`` (permutohedral, matches pydensecrf), ``'exact'``
            (dense (HW)^2 kernel; small grids only) or ``'auto'`` (exact up to 64x64 pixels).
        workers: pydensecrf processes (1: in-process; <= 0: all cores).
        name: optional file/image id prefixed to error messages.

    Returns:
        (N, C, H, W) marginals Q as a tensor on the input's device, dtype of the input map (float32 for
        ndarray input); rows sum to 1.

    Raises:
        ValueError: bad shapes, dtypes, non-finite values, probabilities not summing to 1, unknown preset.
    """
    p = get_crf_params(params)
    if (probs is None) == (unary is None):
        raise ValueError(f'{_where(name)}give exactly one of probs and unary')
    if probs is not None:
        x = _to_tensor(probs, 'probs', name)
        _check_probs(x, name)
    else:
        x = _to_tensor(unary, 'unary', name)
        _check_float_map(x, 'unary', name)
    img = _to_tensor(images, 'images', name)
    N, C, H, W = x.shape
    _check_images(img, N, (H, W), name)
    out_dtype = x.dtype
    device = x.device
    U = unary_from_probs(x, p) if probs is not None else x.to(torch.float32)
    which = resolve_backend(backend, device, H * W)
    with torch.no_grad():
        if which == 'torch':
            from .torch_backend import torch_mean_field
            Q = torch_mean_field(U, img.to(device), *p.kernel, int(p.iterations), method=torch_method)
        else:
            from .pydensecrf_backend import pydensecrf_batch
            q = pydensecrf_batch(U.detach().cpu().numpy(), np.ascontiguousarray(img.detach().cpu().numpy()),
                                 p.kernel, int(p.iterations), workers=workers)
            Q = torch.from_numpy(q).to(device)
    return Q.to(out_dtype)


def _single(probs_like: ArrayLike, image: ArrayLike, what: str, name: Optional[str]):
    t = _to_tensor(probs_like, what, name)
    if t.ndim != 3:
        raise ValueError(f'{_where(name)}{what} must be 3-D (C, H, W), got shape {tuple(t.shape)}')
    im = _to_tensor(image, 'image', name)
    if im.ndim != 3:
        raise ValueError(f'{_where(name)}image must be (H, W, 3) RGB, got shape {tuple(im.shape)}')
    return t[None], im[None]


def crf_postprocess(probs: ArrayLike,
                    image: ArrayLike,
                    preset: Union[str, DenseCRFParams, dict] = 'sec_test',
                    backend: str = 'auto',
                    name: Optional[str] = None,
                    **kwargs) -> ArrayLike:
    """Test-time CRF of one image: probabilities after softmax (+ TTA averaging) and upsampling.

    Args:
        probs: (C, H, W) probabilities at the image's resolution (ndarray or tensor).
        image: (H, W, 3) uint8 RGB original image.
        preset: preset name (``'sec_test'``, ``'wsscoseg'``, ``'blpseg'``, ``'deeplab_v2'``, ...), params or dict.
        backend: see :func:`dense_crf`.
        name: image path or id for error messages.
        **kwargs: forwarded to :func:`dense_crf` (``torch_method``, ``workers``).

    Returns:
        (C, H, W) marginals Q, an ndarray (float32) for ndarray input, else a tensor like ``probs``.
    """
    p, im = _single(probs, image, 'probs', name)
    Q = dense_crf(p, im, preset, backend, name=name, **kwargs)[0]
    return Q.cpu().numpy().astype(np.float32) if isinstance(probs, np.ndarray) else Q


def crf_refine_labels(labels: ArrayLike,
                      image: ArrayLike,
                      num_classes: int,
                      preset: Union[str, DenseCRFParams, dict] = 'irn',
                      backend: str = 'auto',
                      zero_unsure: bool = False,
                      name: Optional[str] = None,
                      **kwargs) -> ArrayLike:
    """CRF of a hard label map (IRN's ``crf_inference_label``): label unary with ``preset.gt_prob``.

    Args:
        labels: (H, W) integer labels in ``[0, num_classes)``.
        image: (H, W, 3) uint8 RGB.
        num_classes: number of labels of the unary (IRN: number of present classes + 1).
        preset: preset name / params / dict (default IRN: gaussian 3/3, bilateral 50/5/10, 10 iterations).
        backend: see :func:`dense_crf`.
        zero_unsure: pydensecrf's ``unary_from_labels`` flag.
        name: image path or id for error messages.
        **kwargs: forwarded to :func:`dense_crf`.

    Returns:
        (num_classes, H, W) marginals (ndarray for ndarray labels, else tensor); ``.argmax(0)`` gives IRN's
        refined label map.
    """
    p = get_crf_params(preset)
    U = unary_from_labels(labels, num_classes, p.gt_prob, zero_unsure, name=name)
    im = _to_tensor(image, 'image', name)
    if im.ndim != 3:
        raise ValueError(f'{_where(name)}image must be (H, W, 3) RGB, got shape {tuple(im.shape)}')
    Q = dense_crf(None, im[None], p, backend, unary=U, name=name, **kwargs)[0]
    return Q.cpu().numpy() if isinstance(labels, np.ndarray) else Q
