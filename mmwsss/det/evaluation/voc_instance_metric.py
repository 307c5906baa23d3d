"""VOC instance mAP metric (BESTIE main.py, chainercv eval_instance_segmentation_voc) for mmdet-scope evaluators."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmdet.registry import METRICS

from .voc_instance_ap import accumulate_ap, load_voc_instance_gt, match_image

__all__ = ['VOCInstanceMetric']


@METRICS.register_module()
class VOCInstanceMetric(BaseMetric):
    """mAP at several mask-IoU thresholds with chainercv's matching, GT read from VOC PNGs.

    The GT of an image is ``<data_root>/<obj_dir>/<id>.png`` + ``<data_root>/<cls_dir>/<id>.png``
    with ``<id>`` = image file stem; predictions are ``pred_instances`` (``masks`` at the original
    size, ``labels`` 0-based foreground, ``scores``). Only match statistics are kept per image.

    Args:
        data_root: Dataset root holding the GT folders.
        iou_thrs: IoU thresholds (0.25, 0.5, 0.7, 0.75); keys ``mAP25``, ``mAP50``, ...
        obj_dir: Instance GT folder.
        cls_dir: Class GT folder.
        use_07_metric: VOC07 11-point AP instead of the all-point area (chainercv default False).
        classwise: Also report per-class AP at 0.5.
    """
    default_prefix: Optional[str] = 'voc_ins'

    def __init__(self, data_root: str, iou_thrs: Sequence[float] = (0.25, 0.5, 0.7, 0.75),
                 obj_dir: str = 'SegmentationObject', cls_dir: str = 'SegmentationClass', use_07_metric: bool = False,
                 classwise: bool = False, collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.data_root = data_root
        self.iou_thrs = tuple(float(t) for t in iou_thrs)
        self.obj_dir, self.cls_dir = obj_dir, cls_dir
        self.use_07_metric = use_07_metric
        self.classwise = classwise

    def process(self, data_batch, data_samples: Sequence) -> None:
        for s in data_samples:
            s = s.to_dict() if hasattr(s, 'to_dict') else s
            stem = osp.splitext(osp.basename(s['img_path']))[0]
            gm, gl = load_voc_instance_gt(osp.join(self.data_root, self.obj_dir, stem + '.png'),
                                          osp.join(self.data_root, self.cls_dir, stem + '.png'))
            p = s['pred_instances']
            pm = np.asarray(p['masks'].cpu().numpy() if hasattr(p['masks'], 'cpu') else p['masks'], dtype=bool)
            pl = np.asarray(p['labels'].cpu().numpy() if hasattr(p['labels'], 'cpu') else p['labels'])
            ps = np.asarray(p['scores'].cpu().numpy() if hasattr(p['scores'], 'cpu') else p['scores'])
            if pm.shape[0] and pm.shape[1:] != gm.shape[1:]:
                raise ValueError(f'{s["img_path"]}: predicted masks {pm.shape[1:]} vs GT {gm.shape[1:]}; '
                                 'predict with rescale=True (original size)')
            if pm.shape[0] == 0:
                pm = np.zeros((0, ) + gm.shape[1:], bool)
            self.results.append(match_image(pm, pl, ps, gm, gl, self.iou_thrs))

    def compute_metrics(self, results: List[Dict]) -> Dict[str, float]:
        classes = self.dataset_meta.get('classes') if self.dataset_meta else None
        n = len(classes) if classes else None
        out = {}
        for t in self.iou_thrs:
            ap = accumulate_ap(results, t, n, self.use_07_metric)
            key = f'mAP{int(round(t * 100))}'
            out[key] = float(np.nanmean(ap)) * 100 if np.any(~np.isnan(ap)) else float('nan')
            if self.classwise and abs(t - 0.5) < 1e-9:
                for i, v in enumerate(ap):
                    name = classes[i] if classes else str(i)
                    out[f'AP50_{name}'] = float(v) * 100
        return out
