"""Embedded synthetic weak-supervision dataset: scene sampling, labels and the on-disk layout.

The generator writes the layout of ``docs/dataset_layout.md`` (images, class/instance masks, image
labels, scribbles, points, COCO instances, web images with co-segmentation-like masks, OoD images)
so that every method of the package trains on it from scratch on a CPU in minutes. Design,
statistics and every choice the specs left open are documented in ``docs/synthetic_dataset.md``.

Determinism: each image draws from its own ``np.random.default_rng([seed, part, ...index])`` so an
image does not depend on generation order or on the other counts, and re-runs are byte-identical.
"""
import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import time
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from .rle import encode_rle, mask_bbox
from .scribbles import scribble_map
from .shapes import (CONTEXTS, OBJECT_DRAWERS, Sprite, draw_distractor, finish_image, paste,
                     render_background)

__all__ = [
    'SYNTH_CLASSES', 'SYNTH_PALETTE', 'GENERATOR_VERSION', 'CLASS_CONTEXT', 'voc_palette_flat',
    'generate_synthetic_dataset', 'ensure_synthetic_dataset', 'summarize_dataset', 'render_scene',
    'render_web', 'render_ood', 'coseg_mask', 'make_labels', 'center_point', 'PRETRAIN_VERSION',
    'render_pretrain', 'generate_pretrain_dataset', 'ensure_pretrain_dataset',
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
_DEFAULTS = dict(seed=0, image_size=128, num_train=400, num_val=100, num_web_per_class=40, num_ood=150,
                 void_border=1)


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


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------
def _save_jpg(path, rgb):
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    Image.frombytes('RGB', (rgb.shape[1], rgb.shape[0]), rgb.tobytes()).save(path, format='JPEG', quality=95)


def _save_png(path, arr, palette=None):
    """uint8 PNG: mode 'P' with ``palette`` (values are the palette indices) or mode 'L'."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    im = Image.frombytes('P' if palette is not None else 'L', (arr.shape[1], arr.shape[0]), arr.tobytes())
    if palette is not None:
        im.putpalette(palette)
    im.save(path, format='PNG')


def _write_text(path, lines):
    with open(path, 'w') as f:
        f.write(''.join(line + '\n' for line in lines))


def _write_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, sort_keys=True, separators=(',', ':'))


def _write_split(root: str, split: str, n: int, p: Dict, palette, contexts: Dict, log) -> None:
    S, seed = p['image_size'], p['seed']
    ids_list, cls_lines = [], []
    images, anns = [], []
    ctx_out = {}
    t0 = time.time()
    for i in range(n):
        name = f'synth_{split}_{i:06d}'
        sc = render_scene(seed, split, i, S)
        lab = make_labels(sc['ids'], sc['inst_classes'], p['void_border'])
        _save_jpg(os.path.join(root, 'JPEGImages', name + '.jpg'), sc['image'])
        _save_png(os.path.join(root, 'SegmentationClass', name + '.png'), lab['cls'], palette)
        _save_png(os.path.join(root, 'SegmentationObject', name + '.png'), lab['obj'], palette)
        present = sorted({int(c) for c in np.unique(lab['cls']) if 0 < c < IGNORE})
        ids_list.append(name)
        cls_lines.append(' '.join([name] + [str(c - 1) for c in present]))
        srng = np.random.default_rng([int(seed), _PART_CODE[split], i, _STREAM_SCRIBBLE])
        _save_png(os.path.join(root, 'Scribbles', name + '.png'),
                  scribble_map(srng, lab['cls'], lab['obj'], lab['classes']))
        pts = []
        image_id = i + 1
        images.append({'id': image_id, 'file_name': name + '.jpg', 'height': S, 'width': S})
        for k, (c, vis) in enumerate(zip(lab['classes'], lab['visible']), start=1):
            x, y = center_point(vis, lab['obj'] == k)
            pts.append('%d %d %d %.3f' % (x, y, c - 1, 1.0))
            anns.append({'id': len(anns) + 1, 'image_id': image_id, 'category_id': int(c),
                         'segmentation': encode_rle(vis), 'area': int(vis.sum()), 'bbox': mask_bbox(vis),
                         'iscrowd': 0})
        _write_text(os.path.join(root, 'Center_points', name + '.txt'), pts)
        ctx_out[name] = sc['contexts']
    _write_text(os.path.join(root, 'ImageSets', 'Segmentation', f'{split}.txt'), ids_list)
    _write_text(os.path.join(root, 'ImageSets', 'Segmentation', f'{split}_cls.txt'), cls_lines)
    cats = [{'id': c, 'name': SYNTH_CLASSES[c], 'supercategory': 'synthetic'} for c in range(1, len(SYNTH_CLASSES))]
    _write_json(os.path.join(root, 'annotations', f'instances_{split}.json'),
                {'images': images, 'annotations': anns, 'categories': cats,
                 'info': {'description': f'mmwsss synthetic {split}', 'version': GENERATOR_VERSION}})
    contexts[split] = ctx_out
    log(f'{split}: {n} images, {len(anns)} instances ({time.time() - t0:.1f} s)')


def _write_web(root, p, palette, contexts, log):
    S, seed, n = p['image_size'], p['seed'], p['num_web_per_class']
    names, ctx_out = [], {}
    t0 = time.time()
    for c in range(1, len(SYNTH_CLASSES)):
        for i in range(n):
            name = f'{c}_{i:06d}'
            w = render_web(seed, c, i, S)
            _save_jpg(os.path.join(root, 'web_images', name + '.jpg'), w['image'])
            _save_png(os.path.join(root, 'web_labels', name + '.png'), w['noisy'].astype(np.uint8) * c, palette)
            _save_png(os.path.join(root, 'web_labels_gt', name + '.png'), w['mask'].astype(np.uint8) * c, palette)
            names.append(name)
            ctx_out[name] = w['contexts']
    _write_text(os.path.join(root, 'web_train_list.txt'), names)
    contexts['web'] = ctx_out
    log(f'web: {len(names)} images ({time.time() - t0:.1f} s)')


def _write_ood(root, p, contexts, log):
    S, seed, n = p['image_size'], p['seed'], p['num_ood']
    names, ctx_out = [], {}
    t0 = time.time()
    for i in range(n):
        name = f'ood_{i:06d}'
        o = render_ood(seed, i, S)
        _save_jpg(os.path.join(root, 'ood_images', name + '.jpg'), o['image'])
        names.append(name + '.jpg')
        ctx_out[name] = o['contexts']
    _write_text(os.path.join(root, 'ood_list.txt'), names)
    contexts['ood'] = ctx_out
    log(f'ood: {n} images ({time.time() - t0:.1f} s)')


_SUBDIRS = ('JPEGImages', 'SegmentationClass', 'SegmentationObject', 'ImageSets/Segmentation', 'Scribbles',
            'Center_points', 'annotations', 'web_images', 'web_labels', 'web_labels_gt', 'ood_images')


def _build(root: str, p: Dict, log) -> None:
    for d in _SUBDIRS:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    palette = voc_palette_flat()
    contexts: Dict[str, Dict] = {}
    _write_split(root, 'train', p['num_train'], p, palette, contexts, log)
    _write_split(root, 'val', p['num_val'], p, palette, contexts, log)
    _write_web(root, p, palette, contexts, log)
    _write_ood(root, p, contexts, log)
    _write_json(os.path.join(root, 'contexts.json'), contexts)
    meta = {
        'generator': GENERATOR_VERSION,
        'classes': list(SYNTH_CLASSES),
        'palette': SYNTH_PALETTE,
        'seed': p['seed'],
        'params': p,
        'sizes': {'image_size': p['image_size'], 'train': p['num_train'], 'val': p['num_val'],
                  'web': p['num_web_per_class'] * (len(SYNTH_CLASSES) - 1), 'ood': p['num_ood']},
        'class_context': {SYNTH_CLASSES[c]: v for c, v in CLASS_CONTEXT.items()},
        'context_probability': {'with_class': P_CONTEXT_WITH, 'without_class': P_CONTEXT_WITHOUT},
        'min_visible_area': MIN_VISIBLE,
    }
    # meta.json last: its presence marks a complete dataset.
    _write_json(os.path.join(root, 'meta.json'), meta)


def _build_pretrain(root: str, p: Dict, log) -> None:
    S, seed, n = p['image_size'], p['seed'], p['num_per_class']
    for d in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    palette = voc_palette_flat()
    names, cls_lines, ctx_out = [], [], {}
    t0 = time.time()
    for c in range(1, len(SYNTH_CLASSES)):
        for i in range(n):
            name = f'pre_{c}_{i:06d}'
            r = render_pretrain(seed, c, i, S)
            _save_jpg(os.path.join(root, 'JPEGImages', name + '.jpg'), r['image'])
            _save_png(os.path.join(root, 'SegmentationClass', name + '.png'), r['mask'].astype(np.uint8) * c,
                      palette)
            names.append(name)
            cls_lines.append(f'{name} {c - 1}')
            ctx_out[name] = r['contexts']
    _write_text(os.path.join(root, 'ImageSets', 'Segmentation', 'train.txt'), names)
    _write_text(os.path.join(root, 'ImageSets', 'Segmentation', 'train_cls.txt'), cls_lines)
    _write_json(os.path.join(root, 'contexts.json'), {'train': ctx_out})
    log(f'pretrain: {len(names)} images ({time.time() - t0:.1f} s)')
    _write_json(os.path.join(root, 'meta.json'), {
        'generator': PRETRAIN_VERSION, 'classes': list(SYNTH_CLASSES), 'palette': SYNTH_PALETTE,
        'seed': p['seed'], 'params': p, 'sizes': {'image_size': S, 'train': len(names)},
        'context_probability': P_CONTEXT_PRETRAIN})


# ----------------------------------------------------------------------------------------------
# Public entry points
# ----------------------------------------------------------------------------------------------
def _int_params(p: Dict, what: str) -> Dict:
    """``p`` with every value an int (bools refused) and ``image_size`` in [32, 1024]."""
    for k, v in p.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f'{what} parameter {k} must be an int, got {v!r}')
        p[k] = int(v)
    if not 32 <= p['image_size'] <= 1024:
        raise ValueError(f'image_size must lie in [32, 1024], got {p["image_size"]}')
    return p


def _params(**kw) -> Dict:
    unknown = set(kw) - set(_DEFAULTS)
    if unknown:
        raise TypeError(f'unknown synthetic dataset parameters: {sorted(unknown)}; known: {sorted(_DEFAULTS)}')
    p = _int_params(dict(_DEFAULTS, **kw), 'synthetic dataset')
    for k in ('seed', 'num_val', 'num_web_per_class', 'num_ood'):
        if p[k] < 0:
            raise ValueError(f'{k} must be >= 0, got {p[k]}')
    if p['num_train'] < 1:  # an empty train split: every method would train on nothing
        raise ValueError(f'num_train (--num-train) must be >= 1, got {p["num_train"]}: an empty train split '
                         'leaves nothing to train on')
    if not 0 <= p['void_border'] <= 5:
        raise ValueError(f'void_border must lie in [0, 5], got {p["void_border"]}')
    return p


def _read_meta(root: str) -> Optional[Dict]:
    path = os.path.join(root, 'meta.json')
    try:
        with open(path) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or not str(meta.get('generator', '')).startswith('mmwsss-synthetic'):
        return None
    return meta


def _matches(root: str, p: Dict, version: str = GENERATOR_VERSION) -> bool:
    meta = _read_meta(root)
    return meta is not None and meta.get('generator') == version and meta.get('params') == p


@contextlib.contextmanager
def _locked(root: str) -> Iterator[None]:
    """Exclusive ``fcntl.flock`` on ``<parent>/.<name>.lock`` (the file stays, it is harmless)."""
    parent, name = os.path.split(root)
    os.makedirs(parent, exist_ok=True)
    fd = os.open(os.path.join(parent, f'.{name}.lock'), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _is_nonempty_dir(root: str) -> bool:
    if not os.path.exists(root):
        return False
    if not os.path.isdir(root):
        raise FileExistsError(f'{root}: exists and is not a directory; refusing to write a dataset there')
    return bool(os.listdir(root))


def _generate_unlocked(root: str, p: Dict, verbose: bool, build=_build) -> None:
    def log(msg):
        if verbose:
            print(f'[synthetic] {msg}', flush=True)

    parent, name = os.path.split(root)
    # We hold the lock, so sibling temp dirs are leftovers of a killed run.
    for entry in os.listdir(parent):
        if entry.startswith((f'.{name}.tmp-', f'.{name}.old-')):
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix=f'.{name}.tmp-', dir=parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        t0 = time.time()
        log(f'generating into {root} (seed {p["seed"]}, {p["image_size"]}x{p["image_size"]})')
        build(tmp, p, log)
        # The whole directory appears at once: readers never see a partial dataset.
        old = None
        if os.path.exists(root):
            old = tempfile.mkdtemp(prefix=f'.{name}.old-', dir=parent)
            os.rename(root, os.path.join(old, 'd'))
        os.rename(tmp, root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        log(f'done in {time.time() - t0:.1f} s')
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def generate_synthetic_dataset(data_root: str, *, seed: int = 0, image_size: int = 128, num_train: int = 400,
                               num_val: int = 100, num_web_per_class: int = 40, num_ood: int = 150,
                               void_border: int = 1, overwrite: bool = False, verbose: bool = True) -> str:
    """Generate the synthetic dataset into ``data_root`` (atomically: temp sibling + rename).

    Args:
        data_root: Target directory; must be absent or empty, or hold a generated dataset and
            ``overwrite=True``. A non-empty directory without a generator ``meta.json`` is never
            overwritten.
        seed: Dataset seed.
        image_size: Side of the square RGB images.
        num_train, num_val: In-distribution images per split.
        num_web_per_class: Web images per foreground class.
        num_ood: OoD images.
        void_border: Width of the void (255) band on object boundaries (0 = none).
        overwrite: Replace an existing generated dataset.
        verbose: Print one progress line per part.

    Returns:
        str: The absolute ``data_root``.

    Raises:
        FileExistsError: ``data_root`` is non-empty and not a generated dataset, or it is one
            and ``overwrite`` is False.
    """
    p = _params(seed=seed, image_size=image_size, num_train=num_train, num_val=num_val,
                num_web_per_class=num_web_per_class, num_ood=num_ood, void_border=void_border)
    return _generate(data_root, p, _build, overwrite, verbose)


def _generate(data_root, p: Dict, build, overwrite: bool, verbose: bool) -> str:
    root = os.path.abspath(os.fspath(data_root))
    with _locked(root):
        if _is_nonempty_dir(root):
            if _read_meta(root) is None:
                raise FileExistsError(f'{root}: exists, is not empty and holds no synthetic-dataset meta.json; '
                                      'refusing to overwrite user data')
            if not overwrite:
                raise FileExistsError(f'{root}: a synthetic dataset already exists; pass overwrite=True to replace it')
        _generate_unlocked(root, p, verbose, build)
    return root


def ensure_synthetic_dataset(data_root: str, verbose: bool = True, **kwargs) -> str:
    """Return ``data_root``, generating the synthetic dataset first if it is missing.

    Safe when several processes call it at once (distributed training): a ``fcntl.flock`` on a
    sibling lock file serialises them and the later ones find the finished dataset.

    Args:
        data_root: Dataset directory.
        verbose: Print progress when generating.
        **kwargs: Parameters of :func:`generate_synthetic_dataset` (without ``overwrite``).

    Returns:
        str: The absolute ``data_root``.

    Raises:
        FileExistsError: ``data_root`` is non-empty and is not a generated dataset.
        ValueError: it holds a generated dataset with other parameters.
    """
    return _ensure(data_root, _params(**kwargs), GENERATOR_VERSION, _build, 'generate_synthetic_dataset', verbose)


def _ensure(data_root, p: Dict, version: str, build, generate_fn: str, verbose: bool) -> str:
    root = os.path.abspath(os.fspath(data_root))
    if _matches(root, p, version):
        return root
    with _locked(root):
        if _matches(root, p, version):
            return root
        if _is_nonempty_dir(root):
            meta = _read_meta(root)
            if meta is None:
                raise FileExistsError(f'{root}: exists, is not empty and holds no synthetic-dataset meta.json; '
                                      'refusing to overwrite user data')
            raise ValueError(f'{root}: holds a synthetic dataset generated with {meta.get("generator")} '
                             f'{meta.get("params")}, requested {version} {p}; use '
                             f'{generate_fn}(..., overwrite=True) or another data_root')
        _generate_unlocked(root, p, verbose, build)
    return root


def _pretrain_params(seed: int = 0, image_size: int = 128, num_per_class: int = 200) -> Dict:
    p = _int_params(dict(seed=seed, image_size=image_size, num_per_class=num_per_class), 'pretraining stand-in')
    if p['seed'] < 0 or p['num_per_class'] < 1:
        raise ValueError(f'seed must be >= 0 and num_per_class >= 1, got {p["seed"]}, {p["num_per_class"]}')
    return p


def generate_pretrain_dataset(data_root: str, *, seed: int = 0, image_size: int = 128, num_per_class: int = 200,
                              overwrite: bool = False, verbose: bool = True) -> str:
    """Generate the pretraining stand-in (the embedded dataset's ImageNet) into ``data_root``, atomically.

    One object per image, ``num_per_class`` images for each of the six classes, contexts drawn
    independently of the class (:func:`render_pretrain`). VOC layout: ``JPEGImages/pre_<cls>_<i>.jpg``,
    ``SegmentationClass/`` masks, ``ImageSets/Segmentation/train.txt`` and ``train_cls.txt``.

    Args:
        data_root: Target directory (same rules as :func:`generate_synthetic_dataset`).
        seed: Dataset seed.
        image_size: Side of the square images.
        num_per_class: Images per class.
        overwrite: Replace an existing generated dataset.
        verbose: Print progress.

    Returns:
        str: The absolute ``data_root``.
    """
    p = _pretrain_params(seed, image_size, num_per_class)
    return _generate(data_root, p, _build_pretrain, overwrite, verbose)


def ensure_pretrain_dataset(data_root: str, verbose: bool = True, **kwargs) -> str:
    """Return ``data_root``, generating the pretraining stand-in first if it is missing.

    Same locking and errors as :func:`ensure_synthetic_dataset`; ``kwargs`` are the parameters of
    :func:`generate_pretrain_dataset`.
    """
    return _ensure(data_root, _pretrain_params(**kwargs), PRETRAIN_VERSION, _build_pretrain,
                   'generate_pretrain_dataset', verbose)


# ----------------------------------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------------------------------
def _read_lines(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{path}: missing')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def summarize_dataset(data_root: str, splits: Sequence[str] = ('train', 'val')) -> Dict:
    """Statistics of a generated dataset (read back from its files).

    Returns:
        dict with ``images`` (per split), ``class_images`` / ``class_instances`` (per class name),
        ``mean_objects``, ``multi_class_fraction``, and ``context`` mapping
        ``'<ctx>|<class>'`` to ``{'with': P(ctx | class), 'without': P(ctx | no class), 'n_with',
        'n_without'}``.
    """
    root = os.fspath(data_root)
    ctx_path = os.path.join(root, 'contexts.json')
    if not os.path.isfile(ctx_path):
        raise FileNotFoundError(f'{ctx_path}: missing (not a generated synthetic dataset?)')
    with open(ctx_path) as f:
        contexts = json.load(f)
    C = len(SYNTH_CLASSES) - 1
    labels, ctxs = [], []
    class_inst = np.zeros(C, int)
    n_obj, n_img = 0, {}
    for split in splits:
        lines = _read_lines(os.path.join(root, 'ImageSets', 'Segmentation', f'{split}_cls.txt'))
        n_img[split] = len(lines)
        for line in lines:
            parts = line.split()
            labels.append({int(v) + 1 for v in parts[1:]})
            ctxs.append(set(contexts[split][parts[0]]))
        ann_path = os.path.join(root, 'annotations', f'instances_{split}.json')
        with open(ann_path) as f:
            coco = json.load(f)
        for a in coco['annotations']:
            class_inst[a['category_id'] - 1] += 1
        n_obj += len(coco['annotations'])
    total = max(1, len(labels))
    out = {
        'images': n_img,
        'class_images': {SYNTH_CLASSES[c]: sum(c in l for l in labels) for c in range(1, C + 1)},
        'class_instances': {SYNTH_CLASSES[c]: int(class_inst[c - 1]) for c in range(1, C + 1)},
        'mean_objects': n_obj / total,
        'multi_class_fraction': sum(len(l) >= 2 for l in labels) / total,
        'context': {},
    }
    for ctx in CONTEXTS:
        for c in range(1, C + 1):
            w = [ctx in x for l, x in zip(labels, ctxs) if c in l]
            wo = [ctx in x for l, x in zip(labels, ctxs) if c not in l]
            out['context'][f'{ctx}|{SYNTH_CLASSES[c]}'] = {
                'with': float(np.mean(w)) if w else float('nan'), 'n_with': len(w),
                'without': float(np.mean(wo)) if wo else float('nan'), 'n_without': len(wo)}
    return out
