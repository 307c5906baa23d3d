"""PASCAL-Context with 60 classes (background + 59) in BLPSeg's class order.

BLPSeg evaluates on all 60 classes, background included, unlike mmseg's
``PascalContextDataset59`` (``reduce_zero_label``). Ground truth comes from the 459-class
``trainval/<id>.mat`` ``LabelMap``; :func:`convert_context60` maps it with a lookup table (the original
remaps in place, one id at a time, which chains some classes: BLPSeg lib/datasets/ContextDataset.py; we do not).
"""
import os
import os.path as osp
import re
from typing import Dict, List

import numpy as np
from mmseg.registry import DATASETS

from ..utils.io import atomic_save_png
from .voc import WSSSVOCDataset
from .splits import read_split
from .voc_aug import voc_palette

__all__ = ['CONTEXT60_CLASSES', 'WSSSContext60Dataset', 'read_context_labels', 'context60_lut',
           'convert_context60']

# index order of BLPSeg's scribble tags (BLPSeg lib/datasets/ContextDataset.py): VOC's 20, then 39 Context classes
CONTEXT60_CLASSES = (
    'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
    'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
    'tvmonitor', 'bag', 'bed', 'bench', 'book', 'building', 'cabinet', 'ceiling', 'cloth', 'computer',
    'cup', 'door', 'fence', 'floor', 'flower', 'food', 'grass', 'ground', 'keyboard', 'light', 'mountain',
    'mouse', 'curtain', 'platform', 'sign', 'plate', 'road', 'rock', 'shelves', 'sidewalk', 'sky', 'snow',
    'bedclothes', 'track', 'tree', 'truck', 'wall', 'water', 'window', 'wood')
_ALIASES = {'plane': 'aeroplane', 'bike': 'bicycle', 'table': 'diningtable', 'plant': 'pottedplant',
            'monitor': 'tvmonitor', 'tv': 'tvmonitor', 'motorcycle': 'motorbike', 'shelf': 'shelves'}


@DATASETS.register_module()
class WSSSContext60Dataset(WSSSVOCDataset):
    """PASCAL-Context, 60 classes with background, in the VOC-style layout of docs/dataset_layout.md."""
    METAINFO = dict(classes=CONTEXT60_CLASSES,
                    palette=np.asarray(voc_palette()).reshape(256, 3)[:60].tolist())


def read_context_labels(path: str) -> Dict[int, str]:
    """Read PASCAL-Context ``labels.txt`` (``"<id>: <name>"`` or ``"<id> <name>"`` per line)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: PASCAL-Context label list not found')
    labels = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            m = re.match(r'\s*(\d+)\s*:?\s*(.+?)\s*$', line)
            if not m:
                raise ValueError(f'{path}:{lineno}: expected "<id>: <name>", got {line.strip()!r}')
            labels[int(m.group(1))] = m.group(2).strip().lower()
    if not labels:
        raise ValueError(f'{path}: empty label list')
    return labels


def context60_lut(labels: Dict[int, str], source: str = 'labels.txt') -> np.ndarray:
    """Lookup table from the 459 source ids to the 60 target indices (names outside the 59 classes -> 0).

    Raises:
        ValueError: Some of the 59 classes have no name in ``labels`` (a misspelt or missing line would map that
            class to background); the message names ``source`` and lists the missing classes.
    """
    index = {name: i for i, name in enumerate(CONTEXT60_CLASSES)}
    lut = np.zeros(max(labels) + 1, np.uint8)
    for src, name in labels.items():
        lut[src] = index.get(_ALIASES.get(name, name), 0)
    missing = sorted(set(range(1, len(CONTEXT60_CLASSES))) - set(lut.tolist()))
    if missing:
        names = [CONTEXT60_CLASSES[i] for i in missing]
        raise ValueError(f'{source}: {len(missing)} of the 59 PASCAL-Context classes have no line: {names} '
                         f'(each needs "<id>: <name>" with the name as listed, or one of the aliases '
                         f'{sorted(_ALIASES)}); use the 459-class labels.txt of PASCAL-Context')
    return lut


def convert_context60(context_root: str, labels_file: str, splits=('train', 'val'),
                      out_dir: str = 'SegmentationClass') -> Dict[str, int]:
    """Write 60-class PNGs for the ids of ``ImageSets/Segmentation/<split>.txt`` (resumable).

    Args:
        context_root: Folder holding ``trainval/<id>.mat`` and ``ImageSets/Segmentation/*.txt``.
        labels_file: The 459-class ``labels.txt``.
    """
    from scipy.io import loadmat
    lut = context60_lut(read_context_labels(labels_file), labels_file)
    out_root = osp.join(context_root, out_dir)
    os.makedirs(out_root, exist_ok=True)
    counts = {}
    palette = voc_palette()
    for split in splits:
        ids: List[str] = read_split(osp.join(context_root, 'ImageSets', 'Segmentation', split + '.txt'))
        written = 0
        for img_id in ids:
            dst = osp.join(out_root, img_id + '.png')
            if osp.isfile(dst):
                continue
            src = osp.join(context_root, 'trainval', img_id + '.mat')
            if not osp.isfile(src):
                raise FileNotFoundError(f'{src}: PASCAL-Context annotation not found')
            mat = loadmat(src)
            if 'LabelMap' not in mat:
                raise ValueError(f'{src}: no LabelMap (keys: {sorted(k for k in mat if not k.startswith("__"))})')
            label = np.asarray(mat['LabelMap']).astype(np.int64)
            if label.size and (label.min() < 0 or label.max() >= len(lut)):
                raise ValueError(f'{src}: LabelMap ids {label.min()}..{label.max()} outside labels.txt '
                                 f'(0..{len(lut) - 1})')
            atomic_save_png(dst, lut[label], palette=palette)
            written += 1
        counts[split] = written
    return counts
