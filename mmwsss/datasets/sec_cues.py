"""SEC localization cues: the original file format and a dataset that serves them.

Format (SEC training/localization_cues): ``localization_cues.pickle.gz`` is a gzipped (Python 2) pickle of a
dict keyed by the integer id of ``input_list.txt`` (``"<name>.jpg <id>"`` per line):

- ``'<id>_labels'``: int64 array of the present foreground classes, 1-based (0 = background never listed);
- ``'<id>_cues'``: int64 array (3, K): row 0 class (0 = background), row 1 y, row 2 x on the cue grid
  (41x41 for the 321x321 warped image in SEC).
"""
import gzip
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np
from mmseg.registry import DATASETS

from mmwsss.utils import atomic_write
from .voc import WSSSVOCDataset

__all__ = [
    'load_sec_cue_file', 'save_sec_cue_file', 'read_input_list', 'write_input_list', 'cues_to_dense',
    'dense_to_cues', 'SECCueDataset'
]


def load_sec_cue_file(path: str) -> Dict[str, np.ndarray]:
    """Read ``localization_cues.pickle.gz`` (original SEC file or one written by :func:`save_sec_cue_file`).

    Args:
        path: The gzipped pickle.

    Returns:
        dict: ``'<id>_labels'`` -> (L,) int64, ``'<id>_cues'`` -> (3, K) int64.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: SEC cue file not found (make one with tools/sec/make_cues.py)')
    try:
        with gzip.open(path, 'rb') as f:
            # the released file is a Python-2 pickle of numpy arrays
            data = pickle.load(f, encoding='latin1')
    except (OSError, EOFError, pickle.UnpicklingError) as e:
        raise ValueError(f'{path}: not a readable gzipped pickle ({e})') from e
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a dict of cue arrays, got {type(data).__name__}')
    for key, value in data.items():
        if not (isinstance(key, str) and (key.endswith('_labels') or key.endswith('_cues'))):
            raise ValueError(f'{path}: unexpected key {key!r} (expected "<id>_labels" / "<id>_cues")')
        arr = np.asarray(value)
        if key.endswith('_cues') and (arr.ndim != 2 or arr.shape[0] != 3):
            raise ValueError(f'{path}: {key} must have shape (3, K), got {arr.shape}')
        data[key] = arr.astype(np.int64)
    return data


def save_sec_cue_file(path: str, cues: Dict[str, np.ndarray]) -> None:
    """Write cues in the original format (gzip, pickle protocol 2 so Python 2 can read it), atomically.

    Args:
        path: Destination ``.pickle.gz``.
        cues: ``'<id>_labels'`` / ``'<id>_cues'`` arrays as returned by :func:`load_sec_cue_file`.
    """
    out = {}
    for key, value in cues.items():
        arr = np.asarray(value, dtype=np.int64)
        if key.endswith('_cues') and (arr.ndim != 2 or arr.shape[0] != 3):
            raise ValueError(f'{path}: {key} must have shape (3, K), got {arr.shape}')
        out[key] = arr
    payload = pickle.dumps(out, protocol=2)
    with atomic_write(path) as f:
        with gzip.GzipFile(fileobj=f, mode='wb', mtime=0) as gz:
            gz.write(payload)


def read_input_list(path: str) -> 'OrderedDict[str, int]':
    """Read ``input_list.txt``: ``"<name>.jpg <int id>"`` per line.

    Returns:
        OrderedDict: image name without extension -> integer cue id.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: SEC input list not found')
    out: 'OrderedDict[str, int]' = OrderedDict()
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise ValueError(f'{path}:{lineno}: expected "<name>.jpg <id>", got {line.strip()!r}')
            try:
                idx = int(parts[1])
            except ValueError:
                raise ValueError(f'{path}:{lineno}: the id must be an integer, got {parts[1]!r}') from None
            name = osp.splitext(osp.basename(parts[0]))[0]
            if name in out:
                raise ValueError(f'{path}:{lineno}: image {name} listed twice')
            out[name] = idx
    return out


def write_input_list(path: str, names: Iterable[str], img_suffix: str = '.jpg') -> None:
    """Write ``input_list.txt`` with ids 0..n-1 in the given order (atomically)."""
    text = ''.join(f'{n}{img_suffix} {i}\n' for i, n in enumerate(names))
    with atomic_write(path, 'w') as f:
        f.write(text)


def cues_to_dense(cues: np.ndarray, num_classes: int, size: Tuple[int, int]) -> np.ndarray:
    """Sparse (3, K) cues -> dense (num_classes, h, w) uint8 0/1 masks.

    Args:
        cues: (3, K) rows (class, y, x).
        num_classes: Classes including background.
        size: Cue grid (h, w).
    """
    cues = np.asarray(cues, dtype=np.int64).reshape(3, -1)
    h, w = size
    c, y, x = cues
    bad = (c < 0) | (c >= num_classes) | (y < 0) | (y >= h) | (x < 0) | (x >= w)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f'cue ({c[k]}, {y[k]}, {x[k]}) outside {num_classes} classes x {h}x{w} grid')
    dense = np.zeros((num_classes, h, w), dtype=np.uint8)
    dense[c, y, x] = 1
    return dense


def dense_to_cues(dense: np.ndarray) -> np.ndarray:
    """Dense (C, h, w) 0/1 masks -> sparse (3, K) int64 (class, y, x), class-major order."""
    c, y, x = np.nonzero(np.asarray(dense))
    return np.stack([c, y, x]).astype(np.int64)


def _resolve(path: Optional[str], root: str) -> Optional[str]:
    if path is None or osp.isabs(path) or osp.exists(path):
        return path
    return osp.join(root, path)


@DATASETS.register_module()
class SECCueDataset(WSSSVOCDataset):
    """A VOC-layout dataset whose samples carry SEC localization cues.

    Each data_info gets ``sec_cues`` ((3, K) int64), ``cue_size`` ((h, w)) and, with
    ``labels_from_cues``, ``img_labels`` from ``'<id>_labels'`` (converted to 0-based foreground
    indices). Use :class:`LoadSECCues` in the pipeline to turn them into an image-aligned field.

    Args:
        cue_file: ``localization_cues.pickle.gz`` (absolute, or relative to ``data_root``).
        input_list: ``input_list.txt`` mapping image names to cue ids (same resolution rule).
        cue_size: Cue grid (h, w) or int (41 for SEC's 321 input).
        labels_from_cues: Take image labels from the cue file (SEC), overriding ``cls_label_file``.
        **kwargs: :class:`WSSSVOCDataset` arguments (data_root, ann_file, pipeline, metainfo, ...).
    """

    def __init__(self,
                 cue_file: str = 'localization_cues.pickle.gz',
                 input_list: str = 'input_list.txt',
                 cue_size=41,
                 labels_from_cues: bool = True,
                 **kwargs) -> None:
        self.cue_file = cue_file
        self.input_list = input_list
        self.cue_size = (cue_size, cue_size) if isinstance(cue_size, int) else tuple(cue_size)
        self.labels_from_cues = labels_from_cues
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        cue_file = _resolve(self.cue_file, self.data_root)
        list_file = _resolve(self.input_list, self.data_root)
        cues = load_sec_cue_file(cue_file)
        ids = read_input_list(list_file)
        num_classes = len(self._metainfo['classes'])
        missing = [d['img_id'] for d in data_list if d['img_id'] not in ids]
        if missing:
            raise ValueError(f'{list_file}: {len(missing)} images of {self.ann_file} are not listed, '
                             f'e.g. {missing[:3]}')
        for info in data_list:
            key = ids[info['img_id']]
            if f'{key}_cues' not in cues or f'{key}_labels' not in cues:
                raise ValueError(f'{cue_file}: no "{key}_cues"/"{key}_labels" for image {info["img_id"]} '
                                 f'(id from {list_file})')
            sparse, labels = cues[f'{key}_cues'], cues[f'{key}_labels'].reshape(-1)
            if labels.size and (labels.min() < 1 or labels.max() >= num_classes):
                raise ValueError(f'{cue_file}: {key}_labels {labels.tolist()} must lie in [1, {num_classes - 1}]')
            try:
                cues_to_dense(sparse, num_classes, self.cue_size)  # validates the coordinates
            except ValueError as e:
                raise ValueError(f'{cue_file}: {key}_cues of image {info["img_id"]}: {e}') from None
            info['sec_cues'] = sparse
            info['cue_size'] = self.cue_size
            if self.labels_from_cues:
                info['img_labels'] = sorted(int(c) - 1 for c in set(labels.tolist()))
        return data_list
