"""mmdet's ``CocoDataset`` with the instance json checked on load (:func:`mmwsss.datasets.coco.check_coco_dict`).

mmdet's ``CocoDataset`` turns a json without ``images`` into an empty dataset and an annotation without
``segmentation`` into an instance without a mask; a Mask R-CNN then trains on boxes alone or on nothing.
"""
from typing import Optional

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS

from mmwsss.datasets.coco import COCOFormatError, check_coco_dict, load_coco_json  # noqa: F401 (re-exported)

__all__ = ['COCOFormatError', 'check_coco_dict', 'load_coco_json', 'CheckedCocoDataset']


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset`` that refuses a json that is not in the official instance format
    (:class:`~mmwsss.datasets.coco.COCOFormatError` naming the file and the problem).

    Args:
        with_mask: Every annotation must have a ``segmentation`` (instance-segmentation training / evaluation).
    """

    def __init__(self, *args, with_mask: bool = True, **kwargs) -> None:
        self.with_mask = with_mask
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        dataset = self

        class _CheckedCOCO(COCO):
            """Checks the json before pycocotools indexes it (indexing a broken json fails on a bare key)."""

            def __init__(self, annotation_file: Optional[str] = None):
                super().__init__(None)
                if annotation_file is not None:
                    self.dataset = load_coco_json(annotation_file, dataset.with_mask)
                    self.createIndex()
                    self.img_ann_map, self.cat_img_map = self.imgToAnns, self.catToImgs

        self.COCOAPI = _CheckedCOCO
        return super().load_data_list()
