"""``LoadSECCues``: SEC cues as an image-aligned seg field that mmseg's transforms move with the image."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ..sec_cues import cues_to_dense

__all__ = ['LoadSECCues', 'upsample_cue_grid']


def upsample_cue_grid(dense: np.ndarray, shape) -> np.ndarray:
    """Paint a (C, h, w) cue grid onto an (H, W) image: pixel (r, c) takes cell (floor(r*h/H), floor(c*w/W)).

    Each grid cell covers an equal share of the image, so the segmentor can read the grid back by
    sampling the cell centres (``nearest-exact``) after any resize/flip of the image.

    Returns:
        np.ndarray: (H, W, C) uint8.
    """
    c, h, w = dense.shape
    rows = np.minimum((np.arange(shape[0]) * h) // shape[0], h - 1)
    cols = np.minimum((np.arange(shape[1]) * w) // shape[1], w - 1)
    return np.ascontiguousarray(dense[:, rows][:, :, cols].transpose(1, 2, 0))


@TRANSFORMS.register_module()
class LoadSECCues(BaseTransform):
    """Turn ``results['sec_cues']`` (from :class:`SECCueDataset`) into ``results['gt_cues']``.

    ``gt_cues`` is an (H, W, C) uint8 0/1 field at the loaded image's size and is appended to
    ``seg_fields``, so ``Resize(scale=(321, 321), keep_ratio=False)`` warps it (nearest) and
    ``RandomFlip`` flips it together with the image (SEC pylayers/pylayers.py). ``PackWSSSInputs`` then
    packs it as ``data_sample.gt_cues`` (C, H, W). Also sets ``gt_img_labels`` ((C,) float32, background
    = 1) from ``img_labels`` when a previous transform has not.

    Required keys: ``img`` (or ``img_shape``), ``sec_cues``, ``cue_size``.

    Args:
        num_classes: Classes including background; default ``results['num_classes']``.
    """

    def __init__(self, num_classes: Optional[int] = None) -> None:
        self.num_classes = num_classes

    def transform(self, results: dict) -> dict:
        path = results.get('img_path', '?')
        if 'sec_cues' not in results:
            raise KeyError(f'{path}: no "sec_cues" in the sample; LoadSECCues needs SECCueDataset')
        num_classes = self.num_classes or results.get('num_classes')
        if num_classes is None:
            raise ValueError(f'{path}: LoadSECCues needs num_classes (argument or data_info)')
        shape = results['img'].shape[:2] if 'img' in results else results['img_shape'][:2]
        try:
            dense = cues_to_dense(results['sec_cues'], num_classes, tuple(results['cue_size']))
        except ValueError as e:
            raise ValueError(f'{path}: {e}') from None
        results['gt_cues'] = upsample_cue_grid(dense, shape)
        results.setdefault('seg_fields', [])
        if 'gt_cues' not in results['seg_fields']:
            results['seg_fields'].append('gt_cues')
        if 'gt_img_labels' not in results and results.get('img_labels') is not None:
            vec = np.zeros(num_classes, dtype=np.float32)
            vec[0] = 1.0
            vec[np.asarray(results['img_labels'], dtype=np.int64) + 1] = 1.0
            results['gt_img_labels'] = vec
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(num_classes={self.num_classes})'
