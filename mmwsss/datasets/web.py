"""wsscoseg web data: flat ``web_images/<cls>_<number>.jpg`` + ``web_labels/<cls>_<number>.png`` listed in
``web_train_list.txt`` (wsscoseg README.md; docs/dataset_layout.md)."""
import os.path as osp
import re
from typing import Dict, List, Optional

import numpy as np
from mmseg.registry import DATASETS

from .voc import WSSSVOCDataset, prepare_synthetic_root, synthetic_metainfo

__all__ = ['WSSSWebDataset', 'SyntheticWebDataset', 'parse_web_name', 'check_web_mask']

_NAME = re.compile(r'^(\d+)_(\d+)$')


def parse_web_name(name: str, num_classes: int, where: str = '') -> int:
    """Class of a web image from its name ``<cls>_<number>`` (cls = VOC-style 1-based class index).

    Args:
        name: Image id without extension, e.g. ``'12_002259'``.
        num_classes: Classes including background; ``cls`` must lie in ``1..num_classes - 1``.
        where: File (list or image) named in error messages.

    Returns:
        int: the 1-based class index.
    """
    m = _NAME.match(name)
    if m is None:
        raise ValueError(f'{where or name}: web image name {name!r} is not "<cls>_<number>"')
    cls = int(m.group(1))
    if not 1 <= cls < num_classes:
        raise ValueError(f'{where or name}: unknown class id {cls} in web image name {name!r} '
                         f'(valid: 1..{num_classes - 1})')
    return cls


def check_web_mask(path: str, cls: int, num_classes: int) -> np.ndarray:
    """Read a web mask and check it is a mask of class ``cls``: values in {0, cls, 255}.

    A mask with no object pixel is accepted (co-segmentation can fail on an image; the image then only
    teaches background). Any other foreground value is a mismatch with the class in the name.

    Returns:
        np.ndarray: the (H, W) uint8 mask.
    """
    from .transforms.loading import read_label_map
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: web mask not found')
    mask = read_label_map(path)
    values = np.unique(mask)
    bad = values[(values != 0) & (values != cls) & (values != 255)]
    if bad.size:
        out_of_range = bad[bad >= num_classes]
        if out_of_range.size:
            raise ValueError(f'{path}: unknown class id(s) {out_of_range.tolist()} in the web mask '
                             f'(valid: 0..{num_classes - 1}, 255 = ignore)')
        raise ValueError(f'{path}: web mask has class(es) {bad.tolist()} but its name says class {cls} '
                         '(a web mask may only hold 0, its class and 255)')
    return mask


@DATASETS.register_module()
class WSSSWebDataset(WSSSVOCDataset):
    """Web images with (co-segmentation) masks for wsscoseg's Initial Mask Generator.

    Each sample's ``img_labels`` is ``[cls - 1]`` (0-based foreground index, the dataset convention) from the
    name, so :class:`LoadWSSSAnnotations` gives ``gt_img_labels`` without a label file.

    Args:
        data_root: Root holding the folders and the list.
        ann_file: The list of ``<cls>_<number>`` names (``web_train_list.txt``).
        data_prefix: ``img_path`` (``web_images``) and ``seg_map_path`` (``web_labels``; point it at the output of
            ``tools/wsscoseg/coseg.py`` or at your own masks).
        check_masks: ``'init'``: read every mask at construction and check it against its name (clear error
            naming the file); ``'lazy'``: check each mask when its sample is loaded; ``'none'``: names and
            existence only.
        **kwargs: :class:`WSSSVOCDataset` / ``BaseSegDataset`` arguments (``metainfo``, ``pipeline``, ...).
    """

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'web_train_list.txt',
                 data_prefix: dict = dict(img_path='web_images', seg_map_path='web_labels'),
                 check_masks: str = 'init',
                 **kwargs) -> None:
        if check_masks not in ('init', 'lazy', 'none'):
            raise ValueError(f"check_masks must be 'init', 'lazy' or 'none', got {check_masks!r}")
        if kwargs.get('cls_label_file'):
            raise ValueError('WSSSWebDataset: the class comes from the image name; cls_label_file is not used')
        self.check_masks = check_masks
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        num_classes = len(self._metainfo['classes'])
        for info in data_list:
            cls = parse_web_name(info['img_id'], num_classes, where=f'{self.ann_file}: {info["img_id"]}')
            info['web_class'] = cls
            info['img_labels'] = [cls - 1]
        if self.check_masks == 'init':
            for info in data_list:
                if 'seg_map_path' in info:
                    check_web_mask(info['seg_map_path'], info['web_class'], num_classes)
        return data_list

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if self.check_masks == 'lazy' and 'seg_map_path' in info:
            check_web_mask(info['seg_map_path'], info['web_class'], len(self._metainfo['classes']))
        return info

    def class_groups(self) -> Dict[int, List[int]]:
        """Indices of the samples of each class: ``{cls: [idx, ...]}`` (for co-segmentation)."""
        groups: Dict[int, List[int]] = {}
        for i in range(len(self)):
            groups.setdefault(WSSSVOCDataset.get_data_info(self, i)['web_class'], []).append(i)
        return groups


@DATASETS.register_module()
class SyntheticWebDataset(WSSSWebDataset):
    """The web part of the embedded synthetic dataset (classes of ``SYNTH_CLASSES``), generated on first use.

    Args:
        generate: Generate the dataset into ``data_root`` when it holds none (default True).
        generator_cfg: Keyword arguments of ``generate_synthetic_dataset``.
    """

    def __init__(self, data_root: str = 'data/synthetic', generate: bool = True,
                 generator_cfg: Optional[dict] = None, **kwargs) -> None:
        prepare_synthetic_root(data_root, generate, generator_cfg)
        super().__init__(data_root=data_root, **kwargs)


SyntheticWebDataset.METAINFO = synthetic_metainfo()
