from .voc_instance_ap import accumulate_ap, load_voc_instance_gt, mask_iou, match_image, voc_ap
from .voc_instance_metric import VOCInstanceMetric

__all__ = ['VOCInstanceMetric', 'accumulate_ap', 'load_voc_instance_gt', 'mask_iou', 'match_image', 'voc_ap']
