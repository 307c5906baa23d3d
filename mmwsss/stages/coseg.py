"""Co-segmentation of web images grouped by class (the wsscoseg step the original never shipped, README.md
step 2).

The original used Chen et al.'s object discovery code and shipped the masks. This is our own, documented in
docs/implementation.md: for the images of one class,

1. a per-image foreground prior: a centre prior (web images show one dominant, roughly centred object), or the
   class activation map of a trained :class:`CAMClassifier` (``cam_prior``), optionally mixed;
2. per-pixel features (Lab colour, smoothed Lab, local texture), standardised over the class set;
3. ``iters`` rounds of: foreground prototypes by k-means over the foreground pixels of **all** images of the class,
   keeping only clusters that many images share (what the images of a class have in common); background prototypes
   by k-means per image; p(fg) = sigmoid((d_bg - d_fg) / T + w * logit(prior));
4. dense-CRF refinement of (1 - p, p) on the full-resolution image (preset ``'wsscoseg'``) and argmax.

Masks are written as palette PNGs (0 background, ``cls`` object) by the resumable per-image loop of
:func:`mmwsss.stages.base.run_per_image`; a rerun skips finished classes and writes only missing files (the
computation is deterministic). :func:`mask_quality` scores a mask folder against
ground truth (``web_labels_gt`` of the embedded set, or any GT folder).
"""
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .base import read_rgb

__all__ = ['CosegParams', 'pixel_features', 'centre_prior', 'kmeans', 'cosegment_class', 'run_coseg',
           'mask_quality', 'cam_prior', 'group_by_class']


@dataclass
class CosegParams:
    """Parameters of :func:`cosegment_class` (defaults tuned once on the embedded web set; see the docs page).

    Attributes:
        work_size: Longest side at which features and prototypes are computed (the CRF runs at full size).
        iters: Prototype/assignment rounds.
        k_fg: Foreground clusters pooled over the class set.
        k_bg: Background clusters per image.
        min_share: A foreground cluster is kept when at least this fraction of the images has >= 2% of its
            foreground in it (the shared appearance of the class); the most shared cluster is always kept.
        temperature: T of the fg/bg distance difference (standardised feature units).
        prior_weight: Weight of logit(prior) added to the appearance logit.
        centre_sigma: Std of the Gaussian centre prior as a fraction of height/width.
        border: Width of the image border forced to background in the prior, as a fraction of the side.
        cam_mix: With a CAM prior, prior = cam_mix * CAM + (1 - cam_mix) * centre prior.
        max_samples: Foreground pixels sampled for the pooled k-means.
        grabcut_iters: Per-image GrabCut rounds (OpenCV, colour GMMs + graph cut) initialised from the shared-prototype
            probabilities (border = sure background); 0 skips it.
        crf_preset: ``mmwsss.crf`` preset for the refinement, or ``None`` to skip the CRF.
        seed: Seed of the k-means initialisation and sampling.
    """
    work_size: int = 128
    iters: int = 4
    k_fg: int = 6
    k_bg: int = 4
    min_share: float = 0.25
    temperature: float = 1.0
    prior_weight: float = 0.5
    centre_sigma: float = 0.3
    border: float = 0.04
    cam_mix: float = 0.7
    max_samples: int = 30000
    grabcut_iters: int = 5
    crf_preset: Optional[str] = 'wsscoseg'
    seed: int = 0


def pixel_features(image: np.ndarray) -> np.ndarray:
    """Per-pixel appearance features.

    Args:
        image: (H, W, 3) uint8 RGB.

    Returns:
        np.ndarray: (H, W, 7) float32: Lab, Lab blurred (sigma 2), local std of L (5x5).
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'pixel_features: expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}')
    lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    lab[..., 0] /= 100.0
    lab[..., 1:] /= 128.0
    blur = cv2.GaussianBlur(lab, (0, 0), 2.0)
    L = lab[..., 0]
    mean = cv2.blur(L, (5, 5))
    var = np.maximum(cv2.blur(L * L, (5, 5)) - mean * mean, 0)
    return np.concatenate([lab, blur, np.sqrt(var)[..., None]], axis=-1).astype(np.float32)


def centre_prior(h: int, w: int, sigma: float = 0.3, border: float = 0.04) -> np.ndarray:
    """(h, w) float32 Gaussian centre prior in (0, 1) with a near-zero border band."""
    y = (np.arange(h, dtype=np.float32) + 0.5) / h - 0.5
    x = (np.arange(w, dtype=np.float32) + 0.5) / w - 0.5
    p = np.exp(-0.5 * ((y[:, None] / sigma)**2 + (x[None] / sigma)**2))
    by, bx = max(1, int(round(border * h))), max(1, int(round(border * w)))
    p[:by], p[-by:], p[:, :bx], p[:, -bx:] = 0, 0, 0, 0
    return np.clip(p, 0.02, 0.98).astype(np.float32)


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 15) -> Tuple[np.ndarray, np.ndarray]:
    """Plain k-means with k-means++ initialisation.

    Args:
        x: (N, D) samples (N >= 1).
        k: Clusters (reduced to N when N < k).
        rng: Random generator (determinism).

    Returns:
        tuple: centres (k', D) and assignments (N,).
    """
    n = x.shape[0]
    if n == 0:
        raise ValueError('kmeans: no samples')
    k = min(k, n)
    centres = [x[rng.integers(n)]]
    d2 = ((x - centres[0])**2).sum(1)
    for _ in range(1, k):
        total = d2.sum()
        idx = rng.integers(n) if total <= 0 else rng.choice(n, p=d2 / total)
        centres.append(x[idx])
        d2 = np.minimum(d2, ((x - x[idx])**2).sum(1))
    c = np.stack(centres).astype(np.float64)
    assign = np.zeros(n, np.int64)
    for _ in range(iters):
        dist = ((x[:, None, :] - c[None])**2).sum(-1)
        assign = dist.argmin(1)
        for j in range(k):
            sel = assign == j
            if sel.any():
                c[j] = x[sel].mean(0)
    return c.astype(np.float32), assign


def _min_dist(f: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return ((f[..., None, :] - centres)**2).sum(-1).min(-1)


def _resize_to_work(image: np.ndarray, work_size: int) -> np.ndarray:
    h, w = image.shape[:2]
    s = min(1.0, work_size / max(h, w))
    if s >= 1.0:
        return image
    return cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def cosegment_class(images: Sequence[np.ndarray],
                    params: Optional[CosegParams] = None,
                    priors: Optional[Sequence[Optional[np.ndarray]]] = None,
                    names: Optional[Sequence[str]] = None) -> List[np.ndarray]:
    """Jointly segment the images of one class into foreground/background.

    Args:
        images: K (H_i, W_i, 3) uint8 RGB images of the same class.
        params: :class:`CosegParams`.
        priors: Optional per-image (H_i, W_i) foreground maps in [0, 1] (e.g. normalised CAMs), mixed with the
            centre prior by ``cam_mix``.
        names: Names for error messages / CRF diagnostics.

    Returns:
        list[np.ndarray]: K (H_i, W_i) float32 foreground probabilities (after the CRF when ``crf_preset``).
    """
    p = params or CosegParams()
    if len(images) == 0:
        return []
    names = list(names) if names is not None else [str(i) for i in range(len(images))]
    rng = np.random.default_rng(p.seed)
    feats, prior = [], []
    for i, img in enumerate(images):
        img = np.asarray(img)
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f'{names[i]}: expected an (H, W, 3) uint8 RGB image, got {img.shape} {img.dtype}')
        small = _resize_to_work(img, p.work_size)
        h, w = small.shape[:2]
        feats.append(pixel_features(small))
        pr = centre_prior(h, w, p.centre_sigma, p.border)
        if priors is not None and priors[i] is not None:
            cam = cv2.resize(np.asarray(priors[i], np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
            pr = np.clip(p.cam_mix * np.clip(cam, 0, 1) + (1 - p.cam_mix) * pr, 0.02, 0.98)
            pr[centre_prior(h, w, p.centre_sigma, p.border) <= 0.02] = 0.02  # keep the border background
        prior.append(pr)
    # standardise over the class set so colour and texture weigh alike
    allf = np.concatenate([f.reshape(-1, f.shape[-1]) for f in feats])
    mu, sd = allf.mean(0), allf.std(0) + 1e-6
    feats = [(f - mu) / sd for f in feats]
    prior_logit = [np.log(pr / (1 - pr)) for pr in prior]
    prob = [pr.copy() for pr in prior]
    for _ in range(p.iters):
        # shared foreground prototypes over the whole class set
        fg_sets = [f[pb > 0.5] for f, pb in zip(feats, prob)]
        owner = np.concatenate([np.full(len(s), i) for i, s in enumerate(fg_sets)]).astype(np.int64)
        pool = np.concatenate(fg_sets) if owner.size else np.zeros((0, feats[0].shape[-1]), np.float32)
        if pool.shape[0] == 0:  # nothing left: restart from the prior
            prob = [pr.copy() for pr in prior]
            continue
        take = rng.choice(pool.shape[0], size=min(p.max_samples, pool.shape[0]), replace=False)
        centres, assign = kmeans(pool[take], p.k_fg, rng)
        own = owner[take]
        share = np.zeros(len(centres))
        for j in range(len(centres)):
            frac = np.bincount(own[assign == j], minlength=len(images)) / np.maximum(
                np.bincount(own, minlength=len(images)), 1)
            share[j] = (frac >= 0.02).mean()
        keep = share >= p.min_share
        keep[share.argmax()] = True
        fg_c = centres[keep]
        new_prob = []
        for f, pb, pl in zip(feats, prob, prior_logit):
            bg_pix = f[pb <= 0.5]
            if bg_pix.shape[0] == 0:
                bg_pix = f[pl <= np.log(0.02 / 0.98) + 1e-3]
            bg_c, _ = kmeans(bg_pix[rng.choice(bg_pix.shape[0], size=min(4000, bg_pix.shape[0]), replace=False)],
                             p.k_bg, rng)
            logit = (_min_dist(f, bg_c) - _min_dist(f, fg_c)) / p.temperature + p.prior_weight * pl
            new_prob.append((1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))).astype(np.float32))
        prob = new_prob
    out = []
    for i, (img, pb) in enumerate(zip(images, prob)):
        H, W = img.shape[:2]
        full = cv2.resize(pb, (W, H), interpolation=cv2.INTER_LINEAR) if pb.shape != (H, W) else pb
        if p.grabcut_iters > 0:
            full = _grabcut(img, full, centre_prior(H, W, p.centre_sigma, p.border) <= 0.02, p.grabcut_iters)
        full = np.clip(full, 1e-4, 1 - 1e-4)
        if p.crf_preset is not None:
            from mmwsss.crf import crf_postprocess
            probs2 = np.stack([1 - full, full]).astype(np.float32)
            q = crf_postprocess(probs2, np.ascontiguousarray(img), preset=p.crf_preset, name=names[i])
            full = np.asarray(q, np.float32)[1]
        out.append(full.astype(np.float32))
    return out


def _grabcut(img: np.ndarray, prob: np.ndarray, sure_bg: np.ndarray, iters: int) -> np.ndarray:
    """GrabCut initialised from a foreground probability; returns a soft map (0.1 / 0.9 confidence)."""
    mask = np.where(prob > 0.5, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    mask[sure_bg] = cv2.GC_BGD
    if not (mask == cv2.GC_PR_FGD).any() or not ((mask == cv2.GC_BGD) | (mask == cv2.GC_PR_BGD)).any():
        return prob
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(np.ascontiguousarray(img[..., ::-1]), mask, None, bgd, fgd, iters, cv2.GC_INIT_WITH_MASK)
    fg = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
    if fg.sum() < 0.2 * (prob > 0.5).sum():  # GrabCut collapsed (its GMMs swallowed the object): keep the input
        return prob
    return np.where(fg, 0.9, 0.1).astype(np.float32)


def cam_prior(model, scales: Sequence[float] = (1.0, 0.5, 1.5), flip: bool = True) -> Callable:
    """A prior function from a trained :class:`CAMClassifier`: ``fn(image RGB, cls 1-based) -> (H, W) in [0, 1]``."""
    from .cam import compute_cam

    def fn(image: np.ndarray, cls: int) -> np.ndarray:
        return compute_cam(model, image, [cls - 1], scales, flip)['high_res'][0]

    return fn


def group_by_class(names: Sequence[str], num_classes: int, where: str = '') -> Dict[int, List[str]]:
    """``{cls: [names]}`` from ``<cls>_<number>`` names (errors name ``where``)."""
    from mmwsss.datasets.web import parse_web_name
    groups: Dict[int, List[str]] = {}
    for n in names:
        groups.setdefault(parse_web_name(n, num_classes, where=f'{where}: {n}' if where else n), []).append(n)
    return dict(sorted(groups.items()))


def run_coseg(img_dir: str,
              names: Sequence[str],
              out_dir: str,
              num_classes: int,
              params: Optional[CosegParams] = None,
              prior_fn: Optional[Callable] = None,
              gt_dir: Optional[str] = None,
              palette: Optional[Sequence[int]] = None,
              img_suffix: str = '.jpg',
              resume: bool = True,
              progress: bool = True,
              stamp: Optional[dict] = None) -> Dict[str, object]:
    """Co-segment a folder of web images grouped by class and write ``<out_dir>/<name>.png``.

    The per-image loop is :func:`mmwsss.stages.base.run_per_image` (claim the folder, skip finished masks, atomic
    writes, progress). Co-segmentation itself is per class (the prototypes are shared by the class set), so the
    names are visited class by class and the first missing mask of a class computes the masks of all its members
    (from every member, finished or not); the class's other missing masks are taken from that result. A class whose
    masks all exist is not computed, and the computation is deterministic, so a resumed run writes the same files.

    Args:
        img_dir: Folder of ``<cls>_<number><img_suffix>`` images.
        names: Image names (without suffix) to process.
        out_dir: Output folder for the masks (0 background, cls object; palette PNG when ``palette``).
        num_classes: Classes including background.
        params: :class:`CosegParams`.
        prior_fn: Optional ``fn(image, cls) -> (H, W)`` foreground prior (e.g. :func:`cam_prior`).
        gt_dir: If given, :func:`mask_quality` of the outputs against it is returned.
        palette: Flat 768-int palette for the PNGs.
        resume: Keep the masks that exist (a class is computed when one of its masks is missing); ``False``
            recomputes all.
        progress: Show a progress bar (one tick per image).
        stamp: Run stamp tying the folder to its inputs (:func:`mmwsss.utils.claim_output_dir`); ``None``: no
            stamp is recorded or checked.

    Returns:
        dict: ``written`` (int), ``skipped`` (int) and, with ``gt_dir``, ``quality`` (see :func:`mask_quality`).
    """
    from mmwsss.utils import atomic_save_png

    from .base import run_per_image
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'{img_dir}: web image folder not found')
    groups = group_by_class(names, num_classes, where=img_dir)
    class_of = {n: cls for cls, members in groups.items() for n in members}
    current: Dict[str, np.ndarray] = {}  # masks of the class being written (one class in memory)

    def compute(name: str) -> np.ndarray:
        if name not in current:
            cls = class_of[name]
            members = groups[cls]
            images = [read_rgb(osp.join(img_dir, n + img_suffix)) for n in members]
            priors = [prior_fn(im, cls) for im in images] if prior_fn is not None else None
            probs = cosegment_class(images, params, priors,
                                    names=[osp.join(img_dir, n + img_suffix) for n in members])
            current.clear()
            current.update({n: np.where(pb > 0.5, cls, 0).astype(np.uint8) for n, pb in zip(members, probs)})
        return current[name]

    ordered = [n for members in groups.values() for n in members]
    result: Dict[str, object] = dict(run_per_image(ordered, out_dir, '.png', compute,
                                                   lambda path, mask: atomic_save_png(path, mask, palette), resume,
                                                   stamp, progress))
    if gt_dir is not None:
        result['quality'] = mask_quality(out_dir, gt_dir, names, num_classes)
    return result


def mask_quality(pred_dir: str, gt_dir: str, names: Sequence[str], num_classes: int) -> Dict[str, object]:
    """Quality of web masks against ground truth.

    GT value 255 is ignored; predicted 255 counts as background.

    Args:
        pred_dir: Folder of ``<name>.png`` masks to score.
        gt_dir: Folder of ``<name>.png`` GT masks (e.g. ``web_labels_gt``).
        names: Names to score.
        num_classes: Classes including background.

    Returns:
        dict: ``mean_fg_iou`` (mean over images of the object IoU), ``miou`` (over the classes of the pooled
        areas), ``iou`` (per-class array), ``per_image`` ({name: fg IoU}).
    """
    from PIL import Image

    from ..evaluation.functional import intersect_and_union, iou_from_areas
    areas = np.zeros((4, num_classes), np.int64)
    per_image = {}
    for n in names:
        pp, gp = osp.join(pred_dir, n + '.png'), osp.join(gt_dir, n + '.png')
        if not osp.isfile(pp):
            raise FileNotFoundError(f'{pp}: predicted mask not found')
        if not osp.isfile(gp):
            raise FileNotFoundError(f'{gp}: ground-truth mask not found')
        pred = np.asarray(Image.open(pp)).astype(np.int64)
        gt = np.asarray(Image.open(gp)).astype(np.int64)
        if pred.shape != gt.shape:
            raise ValueError(f'{pp}: mask size {pred.shape} differs from the GT {gp} size {gt.shape}')
        areas += intersect_and_union(pred, gt, num_classes)
        valid = gt != 255
        pf, gf = (pred > 0) & (pred != 255) & valid, (gt > 0) & valid
        union = (pf | gf).sum()
        per_image[n] = float((pf & gf).sum() / union) if union else 1.0
    iou = iou_from_areas(areas)
    return dict(mean_fg_iou=float(np.mean(list(per_image.values()))) if per_image else float('nan'),
                miou=float(np.nanmean(iou)), iou=iou, per_image=per_image)
