"""CAM seed metric: mIoU over a sweep of background thresholds (W-OoD step/make_cam.py)."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.registry import METRICS

from ..functional import intersect_and_union, iou_from_areas

__all__ = ['CAMMetric']


@METRICS.register_module()
class CAMMetric(BaseMetric):
    """Score CAM predictions (``seg_logits`` of :class:`CAMClassifier.predict`) at several background thresholds.

    ``seg_logits`` channel 0 is ignored and replaced by each threshold ``t``; channels 1.. are the normalised
    CAMs. Reports ``mIoU`` (the best over the sweep, in %), ``best_thr`` and ``mIoU@<t>`` for every threshold,
    plus per-class IoU at the best threshold (``IoU.<class>``).

    Args:
        thresholds: background thresholds to sweep.
        ignore_index: GT value to skip (255).
    """

    default_prefix = None

    def __init__(self,
                 thresholds: Sequence[float] = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5),
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thresholds = [float(t) for t in thresholds]
        self.ignore_index = ignore_index

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for ds in data_samples:
            cams = ds['seg_logits']['data'][1:].float()  # (C_fg, H, W)
            gt = ds['gt_sem_seg']['data'].squeeze(0).to(cams.device).long()
            if cams.shape[-2:] != gt.shape:
                raise ValueError(f'{ds.get("img_path", "?")}: CAM size {tuple(cams.shape[-2:])} != GT size '
                                 f'{tuple(gt.shape)}')
            areas = []
            for t in self.thresholds:
                scores = torch.cat([cams.new_full((1, *cams.shape[-2:]), t), cams], 0)
                areas.append(intersect_and_union(scores.argmax(0).cpu(), gt.cpu(), num_classes, self.ignore_index))
            self.results.append(np.stack(areas))

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        areas = np.sum(np.stack(results), axis=0)  # (T, 4, C)
        mious = []
        ious = []
        for i in range(len(self.thresholds)):
            iou = iou_from_areas(areas[i])
            ious.append(iou)
            mious.append(float(np.nanmean(iou)))
        best = int(np.argmax(mious))
        out = dict(mIoU=round(mious[best] * 100, 2), best_thr=self.thresholds[best])
        for t, m in zip(self.thresholds, mious):
            out[f'mIoU@{t:g}'] = round(m * 100, 2)
        classes = self.dataset_meta['classes']
        for c, v in zip(classes, ious[best]):
            out[f'IoU.{c}'] = round(float(v) * 100, 2) if not np.isnan(v) else float('nan')
        print_log('CAM mIoU sweep: ' + ', '.join(f'{t:g}: {m * 100:.2f}' for t, m in zip(self.thresholds, mious)),
                  logger=logger)
        return out
