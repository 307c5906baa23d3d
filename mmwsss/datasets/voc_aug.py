"""PASCAL VOC 2012 + SBD ``train_aug`` preparation and image-level label files."""
import os
import os.path as osp
import shutil
from typing import Dict, Iterable, List, Optional

import numpy as np

from ..utils.io import atomic_save_png, atomic_write
from .splits import read_split

__all__ = ['load_sbd_mat', 'read_split', 'labels_from_mask', 'write_cls_label_file',
           'convert_voc_aug', 'voc_palette']


def voc_palette() -> List[int]:
    """The flat 768-entry PASCAL VOC colour map (bit-interleaved, as in the devkit)."""
    palette = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette += [r, g, b]
    return palette


def load_sbd_mat(path: str) -> np.ndarray:
    """Read the class segmentation of an SBD ``cls/<id>.mat`` file (``GTcls.Segmentation``).

    Returns:
        (H, W) uint8 map: 0 background, 1..20 classes (SBD has no void label).
    """
    from scipy.io import loadmat
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: SBD annotation not found')
    try:
        mat = loadmat(path, mat_dtype=True, squeeze_me=True, struct_as_record=False)
    except Exception as err:  # scipy raises several types for corrupt files
        raise ValueError(f'{path}: cannot read as a MATLAB file ({err})')
    if 'GTcls' not in mat:
        raise ValueError(f'{path}: no GTcls struct (is this an SBD cls/*.mat file? keys: '
                         f'{sorted(k for k in mat if not k.startswith("__"))})')
    seg = np.asarray(mat['GTcls'].Segmentation)
    if seg.ndim != 2:
        raise ValueError(f'{path}: GTcls.Segmentation must be 2-D, got shape {seg.shape}')
    if seg.size and (seg.min() < 0 or seg.max() > 20):
        raise ValueError(f'{path}: GTcls.Segmentation values must lie in 0..20, got '
                         f'{seg.min()}..{seg.max()}')
    return seg.astype(np.uint8)


def labels_from_mask(mask: np.ndarray, num_classes: int = 21) -> List[int]:
    """0-based foreground class indices present in a label map (0 and 255 dropped)."""
    values = np.unique(mask)
    return [int(v) - 1 for v in values if 0 < v < num_classes]


def write_cls_label_file(path: str, labels: Dict[str, Iterable[int]]) -> None:
    """Write ``"<id> c1 c2 ..."`` lines atomically."""
    with atomic_write(path, 'w') as f:
        for img_id, classes in labels.items():
            f.write(' '.join([img_id] + [str(c) for c in sorted(classes)]) + '\n')


def convert_voc_aug(voc_root: str, sbd_root: str, out_dir: str = 'SegmentationClassAug',
                    progress: bool = True) -> Dict[str, int]:
    """Build ``SegmentationClassAug`` and the ``train_aug`` split from VOC 2012 and SBD.

    ``train_aug`` = (SBD train ∪ SBD val ∪ VOC train) − VOC val (10,582 ids for the real data);
    VOC's own masks win over SBD's where both exist. Also writes ``train_aug_cls.txt`` and
    ``val_cls.txt`` (image-level labels from the masks). Finished PNGs are skipped (resumable).

    Args:
        voc_root: ``.../VOCdevkit/VOC2012``.
        sbd_root: ``.../benchmark_RELEASE`` (contains ``dataset/cls`` and ``dataset/{train,val}.txt``).
        out_dir: Output folder name inside ``voc_root``.

    Returns:
        Counts: ``train_aug``, ``val``, ``converted_sbd``, ``copied_voc``.
    """
    for path in (voc_root, sbd_root):
        if not osp.isdir(path):
            raise FileNotFoundError(f'{path}: directory does not exist')
    sbd = osp.join(sbd_root, 'dataset') if osp.isdir(osp.join(sbd_root, 'dataset')) else sbd_root
    splits = osp.join(voc_root, 'ImageSets', 'Segmentation')
    voc_train = read_split(osp.join(splits, 'train.txt'))
    voc_val = read_split(osp.join(splits, 'val.txt'))
    sbd_ids = read_split(osp.join(sbd, 'train.txt')) + read_split(osp.join(sbd, 'val.txt'))
    val_set = set(voc_val)
    train_aug = sorted((set(sbd_ids) | set(voc_train)) - val_set)
    out_root = osp.join(voc_root, out_dir)
    os.makedirs(out_root, exist_ok=True)
    palette = voc_palette()
    voc_masks = set(voc_train) | val_set
    iterator = train_aug + voc_val
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, desc='SegmentationClassAug')
    labels: Dict[str, List[int]] = {}
    counts = dict(converted_sbd=0, copied_voc=0)
    from PIL import Image
    for img_id in iterator:
        dst = osp.join(out_root, img_id + '.png')
        if img_id in voc_masks:
            src = osp.join(voc_root, 'SegmentationClass', img_id + '.png')
            if not osp.isfile(src):
                raise FileNotFoundError(f'{src}: VOC mask listed in the VOC split is missing')
            if not osp.isfile(dst):
                tmp = dst + '.tmp'
                shutil.copyfile(src, tmp)
                os.replace(tmp, dst)
                counts['copied_voc'] += 1
            mask = np.asarray(Image.open(dst))
        else:
            if osp.isfile(dst):
                mask = np.asarray(Image.open(dst))
            else:
                mask = load_sbd_mat(osp.join(sbd, 'cls', img_id + '.mat'))
                atomic_save_png(dst, mask, palette=palette)
                counts['converted_sbd'] += 1
        labels[img_id] = labels_from_mask(mask)
    write_cls_label_file(osp.join(splits, 'train_aug_cls.txt'), {i: labels[i] for i in train_aug})
    write_cls_label_file(osp.join(splits, 'val_cls.txt'), {i: labels[i] for i in voc_val})
    with atomic_write(osp.join(splits, 'train_aug.txt'), 'w') as f:
        f.write('\n'.join(train_aug) + '\n')
    counts.update(train_aug=len(train_aug), val=len(voc_val))
    return counts
