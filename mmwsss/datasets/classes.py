"""Class lists of user datasets: background handling, palettes, class counts.

A dataset's ``metainfo['classes']`` names the label values of its PNG maps in order: value ``i`` is
``classes[i]``. Semantic-segmentation datasets always have the background at index 0; a class list given
without a leading ``'background'`` gets it prepended, so one ``metainfo`` serves the semantic datasets (which
count the background) and the instance datasets of BESTIE / Mask R-CNN (which do not).
"""
import json
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np

__all__ = ['BACKGROUND', 'with_background', 'foreground', 'seg_metainfo', 'num_seg_classes',
           'read_dataset_classes', 'default_palette', 'num_classes_at', 'balance_weights']

BACKGROUND = 'background'


def _check_names(classes: Sequence[str], where: str) -> Tuple[str, ...]:
    if isinstance(classes, str) or not isinstance(classes, (list, tuple)):
        raise TypeError(f'{where}: classes must be a list or tuple of names, got {type(classes).__name__}')
    names = tuple(str(c) for c in classes)
    if not names:
        raise ValueError(f'{where}: empty class list')
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        raise ValueError(f'{where}: duplicate class names {dup}')
    if BACKGROUND in names[1:]:
        raise ValueError(f"{where}: 'background' must be the first class (label 0), found at index "
                         f'{names.index(BACKGROUND)}')
    return names


def with_background(classes: Sequence[str], where: str = 'metainfo') -> Tuple[str, ...]:
    """The class list with ``'background'`` at index 0 (prepended when missing)."""
    names = _check_names(classes, where)
    return names if names[0] == BACKGROUND else (BACKGROUND, ) + names


def foreground(classes: Sequence[str], where: str = 'metainfo') -> Tuple[str, ...]:
    """The class list without a leading ``'background'``."""
    names = _check_names(classes, where)
    return names[1:] if names[0] == BACKGROUND else names


def num_seg_classes(classes: Sequence[str]) -> int:
    """Number of semantic classes, background included (a segmentation head's ``num_classes``)."""
    return len(with_background(classes))


def default_palette(n: int) -> List[List[int]]:
    """``n`` colours: the PASCAL VOC colour map (index 0 black), so VOC-like data keep their usual colours."""
    from .voc_aug import voc_palette
    flat = voc_palette()
    if n > 256:
        rng = np.random.RandomState(0)
        return [flat[3 * i:3 * i + 3] for i in range(256)] + rng.randint(0, 256, (n - 256, 3)).tolist()
    return [flat[3 * i:3 * i + 3] for i in range(n)]


def seg_metainfo(metainfo: Optional[dict], default: dict, where: str = 'metainfo') -> Optional[dict]:
    """Normalise a user ``metainfo`` for a semantic dataset whose defaults are ``default``.

    Returns ``None`` when ``metainfo`` names no classes (the defaults apply). Otherwise the classes get a
    leading ``'background'`` when missing, and the palette: the given one (a colour per class, or per
    foreground class, in which case black is prepended for the background), else the VOC colour map.
    """
    if not metainfo or 'classes' not in metainfo:
        return metainfo
    given = _check_names(metainfo['classes'], where)
    classes = with_background(given, where)
    palette = metainfo.get('palette')
    if palette is None:
        same = list(classes) == list(default.get('classes', ()))
        palette = list(default['palette']) if same and 'palette' in default else default_palette(len(classes))
    else:
        palette = [list(map(int, c)) for c in palette]
        if len(palette) == len(classes) - 1 and given[0] != BACKGROUND:
            palette = [[0, 0, 0]] + palette
        if len(palette) != len(classes):
            raise ValueError(f'{where}: palette has {len(palette)} colours for {len(classes)} classes '
                             f'{list(classes)}')
        bad = [c for c in palette if len(c) != 3 or not all(0 <= v <= 255 for v in c)]
        if bad:
            raise ValueError(f'{where}: palette entries must be [r, g, b] in 0..255, got {bad[:3]}')
    return dict(metainfo, classes=classes, palette=palette)


def read_dataset_classes(data_root: str) -> Optional[Tuple[str, ...]]:
    """Class names stored with a dataset: ``<data_root>/meta.json`` (``"classes"``) or ``classes.txt``
    (one name per line); ``None`` when neither exists. The list may or may not start with background."""
    meta = osp.join(data_root, 'meta.json')
    if osp.isfile(meta):
        try:
            with open(meta) as f:
                data = json.load(f)
        except ValueError as e:
            raise ValueError(f'{meta}: not valid JSON ({e})') from None
        if not isinstance(data, dict) or 'classes' not in data:
            raise KeyError(f'{meta}: no "classes" list')
        return _check_names(data['classes'], meta)
    txt = osp.join(data_root, 'classes.txt')
    if osp.isfile(txt):
        with open(txt) as f:
            return _check_names([ln.strip() for ln in f if ln.strip()], txt)
    return None


def num_classes_at(data_root: str, given: Optional[int] = None, default: int = 21) -> int:
    """Semantic class count (background included) for tools that take ``--num-classes``: ``given`` when set,
    else from the class list stored with the dataset (:func:`read_dataset_classes`; counted with the
    background whether or not the list names it), else ``default`` (PASCAL VOC)."""
    if given:
        return int(given)
    classes = read_dataset_classes(data_root)
    return default if classes is None else num_seg_classes(classes)


def balance_weights(counts: Sequence[float], power: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel shares ``f_c`` of the classes and loss weights ``w_c = f_c ** -power``.

    The weights are normalised so that the pixel-weighted mean ``sum_c f_c w_c`` is 1 (a weighted loss keeps the
    scale of the unweighted one). A class without pixels gets the largest weight of the others. ``power`` 0.5
    (inverse square root) tempers the weights of very rare classes; 1.0 is full inverse-frequency balancing.
    """
    counts = np.asarray(counts, np.float64)
    freq = counts / max(counts.sum(), 1)
    w = np.zeros_like(freq)
    present = freq > 0
    w[present] = freq[present] ** -power
    w[~present] = w[present].max() if present.any() else 1.0
    w /= (w * freq).sum() if (w * freq).sum() > 0 else 1.0
    return freq, w
