from .export_coco import build_coco_dict, export_pseudo_coco, instances_to_coco_annotations
from .peaks import evaluate_points, extract_peaks, normalised_cams, peak_quality, read_points, write_points

__all__ = [
    'build_coco_dict', 'evaluate_points', 'export_pseudo_coco', 'instances_to_coco_annotations', 'extract_peaks',
    'normalised_cams', 'peak_quality', 'read_points', 'write_points'
]
