"""COCO uncompressed run-length encoding, without pycocotools.

COCO RLE runs over the mask in column-major (Fortran) order and starts with the length of the
first run of zeros (possibly 0). ``pycocotools.mask.frPyObjects`` accepts the uncompressed form
``{'size': [h, w], 'counts': [int, ...]}`` and mmdet's ``LoadAnnotations`` converts it the same way.
"""
from typing import Dict, List, Sequence

import numpy as np

__all__ = ['encode_rle', 'decode_rle', 'mask_bbox']


def encode_rle(mask: np.ndarray) -> Dict:
    """Encode a binary mask as COCO uncompressed RLE.

    Args:
        mask: (H, W) bool or 0/1 array.

    Returns:
        dict: ``{'size': [H, W], 'counts': [int, ...]}``.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'encode_rle expects a 2-D mask, got shape {mask.shape}')
    flat = (mask.ravel(order='F') != 0).astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts: List[int] = np.diff(bounds).astype(int).tolist()
    if flat.size and flat[0] == 1:
        counts = [0] + counts
    if flat.size == 0:
        counts = []
    return {'size': [int(mask.shape[0]), int(mask.shape[1])], 'counts': counts}


def decode_rle(rle: Dict) -> np.ndarray:
    """Decode COCO uncompressed RLE (``counts`` a list) to an (H, W) bool mask."""
    h, w = (int(v) for v in rle['size'])
    counts: Sequence[int] = rle['counts']
    if isinstance(counts, (str, bytes)):
        raise ValueError('decode_rle handles uncompressed RLE only (counts is a string: use pycocotools)')
    if sum(counts) != h * w:
        raise ValueError(f'RLE counts sum to {sum(counts)}, expected {h * w} for size {h}x{w}')
    vals = np.zeros(len(counts), bool)
    vals[1::2] = True
    flat = np.repeat(vals, np.asarray(counts, dtype=np.int64))
    return flat.reshape((w, h)).T.copy()


def mask_bbox(mask: np.ndarray) -> List[int]:
    """COCO box ``[x, y, w, h]`` (inclusive pixel extent, as ``pycocotools.mask.toBbox``)."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return [0, 0, 0, 0]
    x0, y0 = int(xs.min()), int(ys.min())
    return [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1]
