# Each module adds its own import line and extends __all__ (several authors edit this file).
from . import transforms  # noqa: F401
from .voc import SyntheticPretrainDataset, SyntheticWSSSDataset, WSSSVOCDataset, read_cls_label_file
from .voc_aug import convert_voc_aug, labels_from_mask, load_sbd_mat, write_cls_label_file

__all__ = ['WSSSVOCDataset', 'SyntheticWSSSDataset', 'SyntheticPretrainDataset', 'read_cls_label_file',
           'convert_voc_aug', 'labels_from_mask', 'load_sbd_mat', 'write_cls_label_file']
from .ood import OoDImageDataset, WOoDMixDataset
__all__ += ['OoDImageDataset', 'WOoDMixDataset']
from .sec_cues import SECCueDataset, load_sec_cue_file, read_input_list, save_sec_cue_file, write_input_list
__all__ += ['SECCueDataset', 'load_sec_cue_file', 'save_sec_cue_file', 'read_input_list', 'write_input_list']
from .web import SyntheticWebDataset, WSSSWebDataset, check_web_mask, parse_web_name
__all__ += ['WSSSWebDataset', 'SyntheticWebDataset', 'parse_web_name', 'check_web_mask']
from .context import CONTEXT60_CLASSES, WSSSContext60Dataset, context60_lut, convert_context60, read_context_labels
__all__ += ['CONTEXT60_CLASSES', 'WSSSContext60Dataset', 'context60_lut', 'convert_context60', 'read_context_labels']
from .points import read_points, write_points
__all__ += ['read_points', 'write_points']
from .splits import read_split
__all__ += ['read_split']
from .classes import foreground, num_classes_at, num_seg_classes, read_dataset_classes, seg_metainfo, with_background
__all__ += ['foreground', 'num_classes_at', 'num_seg_classes', 'read_dataset_classes', 'seg_metainfo',
            'with_background']
from .coco import (COCO_CLASSES, COCOFormatError, WSSSCOCODataset, check_coco_dict, coco_label_map,
                   convert_coco_semantic, load_coco_json)
__all__ += ['COCO_CLASSES', 'COCOFormatError', 'WSSSCOCODataset', 'check_coco_dict', 'coco_label_map',
            'convert_coco_semantic', 'load_coco_json']
