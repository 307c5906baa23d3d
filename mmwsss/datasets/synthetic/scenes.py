"""Embedded synthetic dataset, content: classes, contexts, scene sampling and the label rules.

Determinism: each image draws from its own ``np.random.default_rng([seed, part, ...index])`` so an
image does not depend on generation order or on the other counts, and re-runs are byte-identical.
Design and statistics: ``docs/synthetic_dataset.md``.
"""
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

from .shapes import (CONTEXTS, OBJECT_DRAWERS, Sprite, draw_distractor, finish_image, paste,
                     render_background)

__all__ = [
    'SYNTH_CLASSES', 'SYNTH_PALETTE', 'GENERATOR_VERSION', 'PRETRAIN_VERSION', 'CLASS_CONTEXT', 'voc_palette_flat',
    'render_scene', 'render_web', 'render_ood', 'render_pretrain', 'coseg_mask', 'make_labels', 'center_point'
]

SYNTH_CLASSES = ('background', 'train', 'boat', 'aeroplane', 'sheep', 'bottle', 'tvmonitor')
GENERATOR_VERSION = 'mmwsss-synthetic-1.0'
#: Class id -> the context that co-occurs with it (``docs/synthetic_dataset.md``, "Context bias").
CLASS_CONTEXT = {1: 'rails', 2: 'water', 3: 'sky'}
#: P(context | its class present) and P(context | its class absent).
P_CONTEXT_WITH, P_CONTEXT_WITHOUT = 0.95, 0.05
#: P(context) in the pretraining stand-in, the same with or without any class.
P_CONTEXT_PRETRAIN = 0.35
PRETRAIN_VERSION = 'mmwsss-synthetic-pretrain-1.0'
#: Instances whose visible area is below this many pixels become void (255), see the docs.
MIN_VISIBLE = 20
MAX_OBJECTS = 4
IGNORE = 255

_PART_CODE = {'train': 0, 'val': 1, 'web': 2, 'ood': 3, 'pretrain': 4}
_STREAM_SCRIBBLE, _STREAM_COSEG = 1, 2


def voc_palette_flat() -> List[int]:
    """The 256-colour PASCAL VOC palette as a flat list of 768 ints (for palette PNGs)."""
    from ..voc_aug import voc_palette
    return voc_palette()


SYNTH_PALETTE = [voc_palette_flat()[3 * i:3 * i + 3] for i in range(len(SYNTH_CLASSES))]


# ----------------------------------------------------------------------------------------------
# Scenes
# ----------------------------------------------------------------------------------------------
def _rng(seed: int, part: str, *index: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), _PART_CODE[part], *[int(i) for i in index]])


def _log_uniform(rng, lo, hi):
    return float(np.exp(rng.uniform(np.log(lo), np.log(max(hi, lo + 1e-3)))))


def _place(rng, cls: int, sp: Sprite, S: int, lay: Dict, central: bool = False) -> Tuple[Sprite, int, int]:
    """Choose the sprite position from the class and the background layout.

    Returns:
        (sprite, top, left): the sprite may be cropped (a boat's submerged rows).
    """
    h, w = sp.mask.shape
    lo, hi = (0.35, 0.65) if central else (0.1, 0.9)
    cx = rng.uniform(lo, hi) * S if w < 0.8 * S else rng.uniform(0.4, 0.6) * S
    left = int(round(cx - w / 2))
    yh = lay['horizon']
    if cls == 1 and lay['rails']:  # wheels on the rail
        y_rail = lay['rails'][int(rng.integers(len(lay['rails'])))]
        return sp, y_rail - h, left
    if cls == 2 and lay['water'] is not None:  # hull sits in the water, submerged rows hidden
        w0, w1 = lay['water']
        yw = int(round(rng.uniform(w0 + 0.15 * (w1 - w0), w0 + 0.75 * (w1 - w0))))
        sub = int(round(0.1 * h))
        if sub > 0 and h - sub >= 2:
            sp = Sprite(sp.mask[:h - sub], sp.rgb[:h - sub])
            h -= sub
        return sp, yw - h + 1, left
    if cls == 3:  # in the sky if there is one, anywhere otherwise
        if lay['sky'] is not None:
            cy = rng.uniform(0.25, 0.75) * yh
        else:
            cy = rng.uniform(0.25, 0.75) * S
        return sp, int(round(cy - h / 2)), left
    # Objects standing on the ground (also trains without rails and boats without water).
    g0 = yh if lay['ground'] is None else lay['ground'][0]
    yb = rng.uniform(g0 + 0.15 * (S - g0), S + 0.02 * S)
    return sp, int(round(yb - h + 1)), left


def _sample_objects(rng, S: int) -> Tuple[List[int], List[Tuple[int, int]]]:
    """Classes present and instance groups [(cls, count)], 1..MAX_OBJECTS instances in total."""
    n_cls = int(rng.choice([1, 2, 3], p=[0.74, 0.21, 0.05]))
    classes = sorted(int(c) + 1 for c in rng.choice(6, n_cls, replace=False))
    groups = []
    for c in rng.permutation(classes):
        c = int(c)
        if c == 4:
            cnt = int(rng.integers(2, 5)) if rng.random() < 0.85 else 1
        else:
            cnt = 2 if rng.random() < 0.2 else 1
        groups.append([c, cnt])
    while sum(g[1] for g in groups) > MAX_OBJECTS:
        g = max(groups, key=lambda g: g[1])
        g[1] -= 1
    return classes, [(c, n) for c, n in groups]


def _contexts_for(rng, classes: Sequence[int]) -> List[str]:
    ctx = []
    for c, name in CLASS_CONTEXT.items():
        p = P_CONTEXT_WITH if c in classes else P_CONTEXT_WITHOUT
        if rng.random() < p:
            ctx.append(name)
    return ctx


def _add_distractors(rng, img, S, lay, n, smin, smax):
    dummy = np.zeros((S, S), np.uint8)
    yh = lay['horizon']
    for _ in range(n):
        sp = draw_distractor(rng, rng.uniform(smin, smax) * S)
        h, w = sp.mask.shape
        yb = rng.uniform(yh, S * 1.02)
        paste(img, dummy, sp, int(round(yb - h)), int(round(rng.uniform(0, 1) * S - w / 2)), 0)


def render_scene(seed: int, part: str, index: int, S: int) -> Dict:
    """Render one in-distribution image with its ground truth.

    Args:
        seed: Dataset seed.
        part: ``'train'`` or ``'val'``.
        index: Image index within the part.
        S: Image side.

    Returns:
        dict with ``image`` (S, S, 3) uint8 RGB, ``ids`` (S, S) int32 instance ids in drawing
        order (0 = background; tiny or fully occluded instances not yet removed), ``inst_classes``
        (list, class of id k+1), ``contexts`` (list of str) and ``groups`` (list, group index of
        each instance: the instances of one sheep group share it).
    """
    rng = _rng(seed, part, index)
    smin = max(8.0, 0.0625 * S)
    for _ in range(50):
        classes, groups = _sample_objects(rng, S)
        ctx = _contexts_for(rng, classes)
        img, lay = render_background(rng, S, ctx)
        if rng.random() < 0.35:
            _add_distractors(rng, img, S, lay, int(rng.integers(1, 4)), 0.1, 0.3)
        n_total = sum(n for _, n in groups)
        smax = (0.7 if n_total <= 2 else 0.5) * S
        ids = np.zeros((S, S), np.int32)
        inst_classes, inst_groups = [], []
        for gi, (c, n) in enumerate(groups):
            if c == 4 and n > 1:
                _draw_sheep_group(rng, img, ids, S, lay, n, smin, min(smax, 0.42 * S), inst_classes, inst_groups, gi)
                continue
            for _ in range(n):
                lo = smin * (1.6 if c == 5 else 1.0)
                s = _log_uniform(rng, lo, max(lo * 1.2, smax))
                sp0 = OBJECT_DRAWERS[c](rng, s)
                _paste_with_retries(rng, img, ids, sp0, c, S, lay, inst_classes, inst_groups, gi)
        areas = np.bincount(ids.ravel(), minlength=len(inst_classes) + 1)[1:]
        if (areas >= MIN_VISIBLE).any():
            return dict(image=finish_image(rng, img), ids=ids, inst_classes=inst_classes, contexts=ctx,
                        groups=inst_groups)
    raise RuntimeError(f'could not sample a scene with a visible object ({part} {index}, seed {seed})')


def _paste_with_retries(rng, img, ids, sp0, c, S, lay, inst_classes, inst_groups, gi, tries=6):
    """Paste an instance; re-place it while it would hide more than half of an earlier one."""
    k = len(inst_classes) + 1
    before = np.bincount(ids.ravel(), minlength=k)
    for t in range(tries):
        sp, top, left = _place(rng, c, sp0, S, lay)
        h, w = sp.mask.shape
        y0, x0, y1, x1 = max(0, top), max(0, left), min(S, top + h), min(S, left + w)
        if y1 <= y0 or x1 <= x0:
            continue
        under = ids[y0:y1, x0:x1][sp.mask[y0 - top:y1 - top, x0 - left:x1 - left]]
        hidden = np.bincount(under, minlength=k)
        ok = all(hidden[j] <= 0.5 * before[j] for j in range(1, k) if inst_groups[j - 1] != gi)
        if ok or t == tries - 1:
            paste(img, ids, sp, top, left, k)
            inst_classes.append(c)
            inst_groups.append(gi)
            return


def _draw_sheep_group(rng, img, ids, S, lay, n, smin, smax, inst_classes, inst_groups, gi):
    """2-4 sheep of similar size in a row, each overlapping the previous one (touching instances)."""
    s = _log_uniform(rng, max(smin, 0.12 * S), smax)
    sprites = [OBJECT_DRAWERS[4](rng, s * rng.uniform(0.85, 1.15)) for _ in range(n)]
    step = [rng.uniform(0.5, 0.72) * sp.mask.shape[1] for sp in sprites]
    width = sum(step[:-1]) + sprites[-1].mask.shape[1]
    x = rng.uniform(0.05 * S, max(0.06 * S, 0.95 * S - width)) if width < 0.9 * S else (S - width) / 2
    g0 = lay['horizon'] if lay['ground'] is None else lay['ground'][0]
    yb = rng.uniform(g0 + 0.3 * (S - g0), S * 0.98)
    for i, sp in enumerate(sprites):
        h, w = sp.mask.shape
        dy = rng.uniform(-0.12, 0.12) * h
        k = len(inst_classes) + 1
        paste(img, ids, sp, int(round(yb + dy - h)), int(round(x)), k)
        inst_classes.append(4)
        inst_groups.append(gi)
        x += step[i]


_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def make_labels(ids: np.ndarray, inst_classes: Sequence[int], void_border: int = 1) -> Dict:
    """Turn a drawing-order id map into VOC-style class/instance maps.

    Rules (``docs/synthetic_dataset.md``, "Labels"): an instance with no visible pixel is dropped;
    one with fewer than :data:`MIN_VISIBLE` visible pixels is dropped and its pixels become void
    (255); the ``void_border``-px void band lies on the lower-id side of every id change
    (background, or the earlier = occluded instance), so thin parts of the front object survive.

    Args:
        ids: (S, S) int, 0 = background, k = k-th drawn instance.
        inst_classes: Class id (1..C) of each drawn instance.
        void_border: Width of the void band in pixels (0 disables it).

    Returns:
        dict with ``cls`` and ``obj`` (S, S) uint8 maps, ``classes`` (class of each kept instance,
        renumbered 1..N in drawing order) and ``visible`` (list of (S, S) bool visible masks,
        void band included).
    """
    M = len(inst_classes)
    areas = np.bincount(ids.ravel(), minlength=M + 1)
    keep = [k for k in range(1, M + 1) if areas[k] >= MIN_VISIBLE]
    tiny = [k for k in range(1, M + 1) if 0 < areas[k] < MIN_VISIBLE]
    while True:
        lut = np.zeros(M + 1, np.int32)
        for new, k in enumerate(keep, start=1):
            lut[k] = new
        new_ids = lut[ids]
        void = np.isin(ids, tiny) if tiny else np.zeros(ids.shape, bool)
        band = np.zeros(ids.shape, bool)
        if void_border > 0 and keep:
            dil = cv2.dilate(new_ids.astype(np.uint8), _CROSS, iterations=int(void_border))
            band = dil > new_ids
        lab_area = np.bincount(new_ids[~(band | void)].ravel(), minlength=len(keep) + 1)
        empty = [keep[i - 1] for i in range(1, len(keep) + 1) if lab_area[i] == 0]
        if not empty:
            break
        keep = [k for k in keep if k not in empty]
        tiny = tiny + empty
    cls_lut = np.array([0] + [int(inst_classes[k - 1]) for k in keep], np.uint8)
    obj = new_ids.astype(np.uint8)
    cls = cls_lut[new_ids]
    obj[band | void] = IGNORE
    cls[band | void] = IGNORE
    visible = [new_ids == i for i in range(1, len(keep) + 1)]
    return dict(cls=cls, obj=obj, classes=[int(c) for c in cls_lut[1:]], visible=visible)


def center_point(visible: np.ndarray, labelled: np.ndarray) -> Tuple[int, int]:
    """The labelled instance pixel nearest the centroid of the visible mask, as (x, y).

    Falls back to the visible mask when no pixel is labelled; ties go to the first pixel in
    row-major order.
    """
    cand = labelled if labelled.any() else visible
    ys, xs = np.nonzero(visible)
    cy, cx = ys.mean(), xs.mean()
    py, px = np.nonzero(cand)
    k = int(np.argmin((py - cy) ** 2 + (px - cx) ** 2))
    return int(px[k]), int(py[k])


def render_web(seed: int, cls: int, index: int, S: int) -> Dict:
    """One web-style image: a single dominant object of class ``cls``.

    The background carries the class's context with probability 0.5 (plus any other context with
    probability 0.1 each), so web data is less context-biased than the in-distribution set.

    Returns:
        dict with ``image`` (S, S, 3) uint8, ``mask`` (S, S) bool true visible object mask,
        ``noisy`` (S, S) bool co-segmentation-like mask and ``contexts``.
    """
    rng = _rng(seed, 'web', cls, index)
    for _ in range(50):
        ctx = [name for c, name in CLASS_CONTEXT.items() if rng.random() < (0.5 if c == cls else 0.1)]
        img, lay = render_background(rng, S, ctx)
        if rng.random() < 0.3:
            _add_distractors(rng, img, S, lay, 1, 0.1, 0.25)
        s = rng.uniform(0.45, 0.85 if cls == 1 else 0.75) * S
        sp, top, left = _place(rng, cls, OBJECT_DRAWERS[cls](rng, s), S, lay, central=True)
        ids = np.zeros((S, S), np.int32)
        mask = paste(img, ids, sp, top, left, 1)
        if mask.sum() >= 0.04 * S * S:
            noisy = coseg_mask(np.random.default_rng([int(seed), _PART_CODE['web'], cls, index, _STREAM_COSEG]),
                               mask)
            return dict(image=finish_image(rng, img), mask=mask, noisy=noisy, contexts=ctx)
    raise RuntimeError(f'could not place a web object (class {cls}, index {index}, seed {seed})')


def coseg_mask(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Degrade a true mask like a co-segmentation output (IoU about 0.8-0.9 with the truth).

    Wavy boundary (smooth random displacement of the signed distance, amplitude 4 % of the object
    extent, plus a random global dilation/erosion of up to 2 %), a missed part with probability 0.3 and a
    spurious background blob with probability 0.3.

    Args:
        rng: Random generator.
        mask: (S, S) bool true mask.

    Returns:
        (S, S) bool degraded mask (never empty).
    """
    from .shapes import smooth_noise
    S0, S1 = mask.shape
    m8 = mask.astype(np.uint8)
    ext = float(np.sqrt(m8.sum()))
    d_in = cv2.distanceTransform(m8, cv2.DIST_L2, 5)
    d_out = cv2.distanceTransform(1 - m8, cv2.DIST_L2, 5)
    sd = d_in - d_out
    amp = 0.04 * ext
    field = smooth_noise(rng, S0, S1, max(2.0, 0.2 * ext))
    bias = rng.uniform(-0.02, 0.02) * ext
    out = (sd + amp * field + bias) > 0.5
    ys, xs = np.nonzero(mask)
    if rng.random() < 0.3:  # a missed part
        k = int(rng.integers(len(ys)))
        m_ = out.astype(np.uint8)
        cv2.circle(m_, (int(xs[k]), int(ys[k])), max(1, int(rng.uniform(0.1, 0.17) * ext)), 0, -1)
        out = m_ > 0
    if rng.random() < 0.3:  # a background blob glued to the object
        edge = np.nonzero((d_out > 0) & (d_out < 2))
        if len(edge[0]):
            k = int(rng.integers(len(edge[0])))
            m_ = out.astype(np.uint8)
            cv2.ellipse(m_, (int(edge[1][k]), int(edge[0][k])),
                        (max(1, int(rng.uniform(0.07, 0.14) * ext)), max(1, int(rng.uniform(0.05, 0.1) * ext))),
                        float(rng.uniform(0, 180)), 0, 360, 1, -1)
            out = m_ > 0
    if not out.any():
        out = d_in >= min(2.0, float(d_in.max()))
    return out


def render_ood(seed: int, index: int, S: int) -> Dict:
    """One OoD image: class contexts (rails/water/sky) and non-class distractors, no class object.

    Returns:
        dict with ``image`` (S, S, 3) uint8 and ``contexts``.
    """
    rng = _rng(seed, 'ood', index)
    ctx = [name for name in CONTEXTS if rng.random() < 0.5]
    if not ctx and rng.random() < 0.9:
        ctx = [CONTEXTS[int(rng.integers(len(CONTEXTS)))]]
    img, lay = render_background(rng, S, ctx)
    _add_distractors(rng, img, S, lay, int(rng.integers(1, 5)), 0.15, 0.45)
    return dict(image=finish_image(rng, img), contexts=ctx)


def render_pretrain(seed: int, cls: int, index: int, S: int) -> Dict:
    """One image of the pretraining stand-in: a single object of class ``cls``, context independent of it.

    Each context is drawn with probability ``P_CONTEXT_PRETRAIN`` whatever the class, so the context
    carries no information about the class (docs/synthetic_dataset.md, "Pretraining stand-in").

    Returns:
        dict with ``image`` (S, S, 3) uint8 RGB, ``mask`` (S, S) bool visible object mask and ``contexts``.
    """
    rng = _rng(seed, 'pretrain', cls, index)
    for _ in range(50):
        ctx = [name for name in CONTEXTS if rng.random() < P_CONTEXT_PRETRAIN]
        img, lay = render_background(rng, S, ctx)
        if rng.random() < 0.3:
            _add_distractors(rng, img, S, lay, int(rng.integers(1, 3)), 0.1, 0.25)
        s = rng.uniform(0.35, 0.8) * S
        sp, top, left = _place(rng, cls, OBJECT_DRAWERS[cls](rng, s), S, lay, central=True)
        mask = paste(img, np.zeros((S, S), np.int32), sp, top, left, 1)
        if mask.sum() >= 0.03 * S * S:
            return dict(image=finish_image(rng, img), mask=mask, contexts=ctx)
    raise RuntimeError(f'could not place a pretraining object (class {cls}, index {index}, seed {seed})')

