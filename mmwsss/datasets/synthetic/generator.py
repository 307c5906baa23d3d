"""Embedded synthetic weak-supervision dataset: parameters and the generate / ensure entry points.

The content (scenes, label rules) is in :mod:`.scenes`, the file layout in :mod:`.writers`; a dataset folder is
written as a temporary sibling and renamed into place under a file lock (:mod:`mmwsss.utils.io`), so readers
never see a partial dataset and concurrent callers (distributed training) generate it once.
"""
import json
import os
import time
from typing import Dict, Optional, Sequence

import numpy as np

from ...utils.io import atomic_replace_dir, file_lock
from .scenes import (CLASS_CONTEXT, GENERATOR_VERSION, PRETRAIN_VERSION, SYNTH_CLASSES, SYNTH_PALETTE, center_point,
                     coseg_mask, make_labels, render_ood, render_pretrain, render_scene, render_web, voc_palette_flat)
from .shapes import CONTEXTS
from .writers import build, build_pretrain

__all__ = [
    'SYNTH_CLASSES', 'SYNTH_PALETTE', 'GENERATOR_VERSION', 'CLASS_CONTEXT', 'voc_palette_flat',
    'generate_synthetic_dataset', 'ensure_synthetic_dataset', 'summarize_dataset', 'render_scene',
    'render_web', 'render_ood', 'coseg_mask', 'make_labels', 'center_point', 'PRETRAIN_VERSION',
    'render_pretrain', 'generate_pretrain_dataset', 'ensure_pretrain_dataset',
]

_DEFAULTS = dict(seed=0, image_size=128, num_train=400, num_val=100, num_web_per_class=40, num_ood=150,
                 void_border=1)


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


def _is_nonempty_dir(root: str) -> bool:
    if not os.path.exists(root):
        return False
    if not os.path.isdir(root):
        raise FileExistsError(f'{root}: exists and is not a directory; refusing to write a dataset there')
    return bool(os.listdir(root))


def _generate_unlocked(root: str, p: Dict, verbose: bool, build=build) -> None:
    def log(msg):
        if verbose:
            print(f'[synthetic] {msg}', flush=True)

    t0 = time.time()
    with atomic_replace_dir(root) as tmp:  # the whole directory appears at once
        log(f'generating into {root} (seed {p["seed"]}, {p["image_size"]}x{p["image_size"]})')
        build(tmp, p, log)
    log(f'done in {time.time() - t0:.1f} s')


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
    return _generate(data_root, p, build, overwrite, verbose)


def _generate(data_root, p: Dict, build, overwrite: bool, verbose: bool) -> str:
    root = os.path.abspath(os.fspath(data_root))
    with file_lock(root):
        if _is_nonempty_dir(root):
            if _read_meta(root) is None:
                raise FileExistsError(f'{root}: exists, is not empty and holds no synthetic-dataset meta.json; '
                                      'nothing is written there (user data); generate into an absent or empty '
                                      'folder instead')
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
    return _ensure(data_root, _params(**kwargs), GENERATOR_VERSION, build, 'generate_synthetic_dataset', verbose)


def _ensure(data_root, p: Dict, version: str, build, generate_fn: str, verbose: bool) -> str:
    root = os.path.abspath(os.fspath(data_root))
    if _matches(root, p, version):
        return root
    with file_lock(root):
        if _matches(root, p, version):
            return root
        if _is_nonempty_dir(root):
            meta = _read_meta(root)
            if meta is None:
                raise FileExistsError(f'{root}: exists, is not empty and holds no synthetic-dataset meta.json; '
                                      'nothing is written there (user data); generate into an absent or empty '
                                      'folder instead')
            raise ValueError(f'{root}: holds a synthetic dataset generated with {meta.get("generator")} '
                             f'{meta.get("params")}, requested {version} {p} ({generate_fn}); pass another, '
                             f'absent or empty data_root (the existing one is left as it is)')
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
    return _generate(data_root, p, build_pretrain, overwrite, verbose)


def ensure_pretrain_dataset(data_root: str, verbose: bool = True, **kwargs) -> str:
    """Return ``data_root``, generating the pretraining stand-in first if it is missing.

    Same locking and errors as :func:`ensure_synthetic_dataset`; ``kwargs`` are the parameters of
    :func:`generate_pretrain_dataset`.
    """
    return _ensure(data_root, _pretrain_params(**kwargs), PRETRAIN_VERSION, build_pretrain,
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
