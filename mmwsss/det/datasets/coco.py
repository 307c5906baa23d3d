"""COCO instance annotations checked on load: every required key present, errors naming the json file.

mmdet's ``CocoDataset`` turns a json without ``images`` into an empty dataset and an annotation without
``segmentation`` into an instance without a mask; a Mask R-CNN then trains on boxes alone or on nothing.
"""
import json
import os.path as osp
from typing import Optional

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS

__all__ = ['check_coco_dict', 'load_coco_json', 'CheckedCocoDataset']


def check_coco_dict(coco, path: str, require_segmentation: bool = False) -> None:
    """Raise ``ValueError`` naming ``path`` unless ``coco`` is a COCO instances dict with what is needed.

    Required: an ``images`` list whose entries have ``id`` and ``file_name``; with ``require_segmentation``
    also an ``annotations`` list whose entries have ``image_id``, ``category_id`` and a non-empty
    ``segmentation`` (polygons or RLE).
    """
    if not isinstance(coco, dict):
        raise ValueError(f'{path}: not a COCO json (top level is a {type(coco).__name__}, not an object)')
    images = coco.get('images')
    if not isinstance(images, list):
        raise ValueError(f'{path}: COCO json without an "images" list (keys: {sorted(coco)}); each image needs '
                         '"id" and "file_name"')
    for i, im in enumerate(images):
        missing = [k for k in ('id', 'file_name') if not isinstance(im, dict) or k not in im]
        if missing:
            raise ValueError(f'{path}: images[{i}] has no {", ".join(repr(k) for k in missing)} '
                             f'(every image needs "id" and "file_name")')
    if not require_segmentation:
        return
    anns = coco.get('annotations')
    if not isinstance(anns, list):
        raise ValueError(f'{path}: COCO json without an "annotations" list (instance masks are needed)')
    for i, ann in enumerate(anns):
        missing = [k for k in ('image_id', 'category_id') if not isinstance(ann, dict) or k not in ann]
        if missing:
            raise ValueError(f'{path}: annotations[{i}] has no {", ".join(repr(k) for k in missing)}')
        if not ann.get('segmentation'):
            raise ValueError(f'{path}: annotations[{i}] (id {ann.get("id")}, image {ann["image_id"]}) has no '
                             '"segmentation"; instance segmentation needs a polygon list or an RLE mask per '
                             'annotation (export masks, not only boxes)')


def load_coco_json(path: str, require_segmentation: bool = False) -> dict:
    """Read and check a COCO json (see :func:`check_coco_dict`)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: COCO annotation file not found')
    try:
        with open(path) as f:
            coco = json.load(f)
    except ValueError as err:
        raise ValueError(f'{path}: not valid JSON ({err})') from err
    check_coco_dict(coco, path, require_segmentation)
    return coco


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset`` that refuses a json without images, ``file_name`` or (``with_mask``) masks.

    Args:
        with_mask: Every annotation must have a ``segmentation`` (instance-segmentation training / evaluation).
    """

    def __init__(self, *args, with_mask: bool = True, **kwargs) -> None:
        self.with_mask = with_mask
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        dataset = self

        class _CheckedCOCO(COCO):
            def __init__(self, annotation_file: Optional[str] = None):
                super().__init__(annotation_file)
                check_coco_dict(self.dataset, dataset.ann_file, dataset.with_mask)

        self.COCOAPI = _CheckedCOCO
        return super().load_data_list()
