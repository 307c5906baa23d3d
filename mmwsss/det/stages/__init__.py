"""Offline stages of the instance side: PAM peaks (point cues) and the pseudo-COCO export."""
from .export_coco import build_coco_dict, export_pseudo_coco, instances_to_coco_annotations
from .peaks import evaluate_points, extract_peaks, normalised_cams, peak_quality

__all__ = [
    'build_coco_dict', 'evaluate_points', 'export_pseudo_coco', 'instances_to_coco_annotations', 'extract_peaks',
    'normalised_cams', 'peak_quality'
]
