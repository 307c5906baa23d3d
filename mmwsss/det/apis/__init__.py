from .export_coco import build_coco_dict, export_pseudo_coco, instances_to_coco_annotations
from .peaks import extract_peaks, normalised_cams, read_points, write_points

__all__ = [
    'build_coco_dict', 'export_pseudo_coco', 'instances_to_coco_annotations', 'extract_peaks', 'normalised_cams',
    'read_points', 'write_points'
]
