from .bestie_dataset import BestieOoDDataset, BestieSyntheticDataset, BestieVOCDataset, read_cls_labels
from .coco import CheckedCocoDataset, COCOFormatError, check_coco_dict, load_coco_json
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _t_all

__all__ = ['BestieVOCDataset', 'BestieSyntheticDataset', 'BestieOoDDataset', 'read_cls_labels', 'CheckedCocoDataset',
           'COCOFormatError', 'check_coco_dict', 'load_coco_json'] + list(_t_all)
from .coco_split import SplitCocoDataset  # noqa: E402
__all__ += ['SplitCocoDataset']
