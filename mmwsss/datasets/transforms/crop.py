"""mmseg's ``RandomCrop`` with a faster category check."""
import numpy as np
from mmcv.transforms.utils import cache_randomness
from mmseg.datasets.transforms import RandomCrop
from mmseg.registry import TRANSFORMS

__all__ = ['WSSSRandomCrop']


@TRANSFORMS.register_module()
class WSSSRandomCrop(RandomCrop):
    """``RandomCrop`` (same arguments, same crops for the same random state) whose ``cat_max_ratio`` check counts the
    labels of a uint8 map in one pass (``np.bincount``) instead of sorting it (``np.unique``).

    With ``cat_max_ratio < 1`` the crop is redrawn up to 10 times until no single label covers ``cat_max_ratio`` of the
    crop's labelled pixels, so the check runs up to 10 times per sample; on maps that are mostly background it is the
    most expensive step of the pipeline.
    """

    @cache_randomness
    def crop_bbox(self, results: dict) -> tuple:
        if self.cat_max_ratio >= 1. or results['gt_seg_map'].dtype != np.uint8:
            return super().crop_bbox(results)
        img, seg = results['img'], results['gt_seg_map']
        margin_h = max(img.shape[0] - self.crop_size[0], 0)
        margin_w = max(img.shape[1] - self.crop_size[1], 0)

        def draw() -> tuple:  # the random draws of RandomCrop.crop_bbox, in its order
            offset_h = np.random.randint(0, margin_h + 1)
            offset_w = np.random.randint(0, margin_w + 1)
            return offset_h, offset_h + self.crop_size[0], offset_w, offset_w + self.crop_size[1]

        bbox = draw()
        for _ in range(10):
            counts = np.bincount(self.crop(seg, bbox).ravel(), minlength=256)
            if 0 <= self.ignore_index < 256:
                counts[self.ignore_index] = 0
            counts = counts[counts > 0]
            if len(counts) > 1 and np.max(counts) / np.sum(counts) < self.cat_max_ratio:
                break
            bbox = draw()
        return bbox
