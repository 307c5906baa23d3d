"""BESTIE datasets in the VOC layout of docs/dataset_layout.md (mmdet scope)."""
import os.path as osp
from typing import Dict, List, Optional

from mmdet.datasets.base_det_dataset import BaseDetDataset
from mmdet.registry import DATASETS

from mmwsss.datasets.classes import BACKGROUND, foreground
from mmwsss.datasets.splits import read_split
from mmwsss.datasets.voc import DEFAULT_SYNTHETIC_ROOT, prepare_synthetic_root, read_cls_label_file

from .coco import load_coco_json

__all__ = ['BestieVOCDataset', 'BestieSyntheticDataset', 'BestieOoDDataset', 'read_cls_labels']

VOC_FG_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
                  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
                  'tvmonitor')
SYNTHETIC_FG_CLASSES = ('train', 'boat', 'aeroplane', 'sheep', 'bottle', 'tvmonitor')


# one parser for the "<id> c1 c2 ..." files across the project
read_cls_labels = read_cls_label_file


def det_metainfo(metainfo: Optional[dict], where: str) -> Optional[dict]:
    """Instance datasets count foreground classes only: a leading ``'background'`` (as in the semantic
    datasets' metainfo, so one ``metainfo`` serves both) is dropped, with its palette entry."""
    if not metainfo or 'classes' not in metainfo:
        return metainfo
    classes = tuple(metainfo['classes'])
    out = dict(metainfo, classes=foreground(classes, where))
    pal = metainfo.get('palette')
    if pal is not None and classes[:1] == (BACKGROUND, ) and len(pal) == len(classes):
        out['palette'] = list(pal)[1:]
    return out


@DATASETS.register_module()
class BestieVOCDataset(BaseDetDataset):
    """Images with a semantic (WSSS) map, point cues, image labels and optional instance GT.

    Each data_info holds ``img_path``, ``img_id`` (from ``coco_ann_file`` when given, so mmdet's
    ``CocoMetric`` can match its json, else the running index), ``seg_map_path`` (WSSS map: the
    ``seg_map_path`` prefix, e.g. ``WSSS_maps``, ``SegmentationClass`` or
    ``pseudo_masks/<method>``), ``points_path`` (``Peak_points`` / ``Center_points``),
    ``inst_map_path`` (``SegmentationObject``; oracle targets), ``img_labels`` (0-based fg
    classes) and ``num_classes``. A missing prefix (``None``) leaves the key out.

    Any class list: ``metainfo=dict(classes=...)`` (foreground names; a leading ``'background'`` is dropped)
    sets the classes that ``cls_label_file`` indices and point ``cls`` values refer to.

    Args:
        data_root: Dataset root.
        ann_file: Split file (one id per line) relative to ``data_root``.
        data_prefix: Folders for ``img_path``, ``seg_map_path``, ``points_path``, ``inst_map_path``.
        cls_label_file: Image-level label file (relative to ``data_root``), optional.
        coco_ann_file: COCO json (relative to ``data_root``) to take image ids from, optional.
        img_suffix: Image file suffix.
        check_files: Check that every referenced file exists at construction.
    """
    METAINFO = dict(classes=VOC_FG_CLASSES)

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'ImageSets/Segmentation/train.txt',
                 data_prefix: dict = dict(img_path='JPEGImages', seg_map_path='WSSS_maps',
                                          points_path='Peak_points'),
                 cls_label_file: Optional[str] = None,
                 coco_ann_file: Optional[str] = None,
                 img_suffix: str = '.jpg',
                 check_files: bool = True,
                 **kwargs):
        if data_root is None or not osp.isdir(data_root):
            raise FileNotFoundError(f'{data_root}: data_root does not exist or is not a directory')
        self.cls_label_file = cls_label_file
        self.coco_ann_file = coco_ann_file
        self.img_suffix = img_suffix
        self.check_files = check_files
        data_prefix = {k: v for k, v in dict(data_prefix).items() if v is not None}
        kwargs['metainfo'] = det_metainfo(kwargs.get('metainfo'), f'{type(self).__name__} metainfo ({data_root})')
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _abs(self, p: str) -> str:
        return p if osp.isabs(p) else osp.join(self.data_root, p)

    def load_data_list(self) -> List[dict]:
        ids = read_split(self.ann_file)
        num_classes = len(self._metainfo['classes'])
        labels = None
        if self.cls_label_file:
            path = self._abs(self.cls_label_file)
            labels = read_cls_labels(path, num_classes)
            missing = [i for i in ids if i not in labels]
            if missing:
                raise ValueError(f'{path}: no labels for {len(missing)} ids, e.g. {missing[:3]}')
        coco_ids = None
        if self.coco_ann_file:
            path = self._abs(self.coco_ann_file)
            coco = load_coco_json(path)
            coco_ids = {osp.splitext(osp.basename(im['file_name']))[0]: im['id'] for im in coco['images']}
        pre = self.data_prefix
        suffix = dict(img_path=self.img_suffix, seg_map_path='.png', points_path='.txt', inst_map_path='.png')
        data_list = []
        for idx, name in enumerate(ids):
            info = dict(img_id=idx if coco_ids is None else coco_ids.get(name), file_id=name, num_classes=num_classes,
                        img_labels=None if labels is None else labels[name], instances=[], seg_fields=[])
            if info['img_id'] is None:
                raise ValueError(f'{self._abs(self.coco_ann_file)}: image {name} of {self.ann_file} is not listed')
            for key, sfx in suffix.items():
                if key in pre:
                    info[key] = osp.join(pre[key], name + sfx)
            data_list.append(info)
        if self.check_files:
            for info in data_list:
                for key in suffix:
                    if key in info and not osp.isfile(info[key]):
                        raise FileNotFoundError(f'{info[key]}: listed in {self.ann_file} but missing ({key})')
        return data_list

    def get_cat_ids(self, idx: int) -> List[int]:
        labels = self.get_data_info(idx).get('img_labels')
        return list(labels) if labels else []


@DATASETS.register_module()
class BestieSyntheticDataset(BestieVOCDataset):
    """:class:`BestieVOCDataset` with the embedded classes, ``data_root`` rules of the semantic embedded dataset.

    A folder holding the split file is used as it is; the embedded set is generated only into an absent or
    empty folder where asked (see :func:`mmwsss.datasets.voc.prepare_synthetic_root`).

    Args:
        generate: ``'auto'`` (only into the default ``data/synthetic``), ``True`` or ``False``.
        generator_cfg: Keyword arguments of the generator.
    """
    METAINFO = dict(classes=SYNTHETIC_FG_CLASSES)

    def __init__(self, data_root: str = DEFAULT_SYNTHETIC_ROOT, generate='auto',
                 generator_cfg: Optional[dict] = None, **kwargs):
        prepare_synthetic_root(data_root, generate, generator_cfg,
                               kwargs.get('ann_file', 'ImageSets/Segmentation/train.txt'))
        super().__init__(data_root=data_root, **kwargs)


@DATASETS.register_module()
class BestieOoDDataset(BaseDetDataset):
    """OoD images (no foreground class) as negatives for the PAM classifier (mmdet scope).

    The same ``ood_list.txt`` layout as :class:`mmwsss.datasets.OoDImageDataset` (W-OoD): each line a path
    relative to ``ood_root``. Every sample gets ``img_labels=[]``, so ``LoadBestieAnnotations`` makes an
    all-zero foreground label and the multi-label loss pushes every class score down on these images: the
    classifier cannot score a class from context that also appears without the class.

    Args:
        data_root: Root that ``ood_list`` and ``ood_root`` are relative to.
        ood_list: List file, e.g. ``'ood_list.txt'``.
        ood_root: Folder the entries are relative to (embedded set: ``'ood_images'``).
        check_files: Check at construction that every listed image exists.
    """
    METAINFO = dict(classes=VOC_FG_CLASSES)

    def __init__(self, data_root: str, ood_list: str = 'ood_list.txt', ood_root: str = 'ood_images',
                 check_files: bool = True, **kwargs):
        if data_root is None or not osp.isdir(data_root):
            raise FileNotFoundError(f'{data_root}: data_root does not exist or is not a directory')
        self.ood_list, self.ood_root, self.check_files = ood_list, ood_root, check_files
        kwargs['metainfo'] = det_metainfo(kwargs.get('metainfo'), f'BestieOoDDataset metainfo ({data_root})')
        super().__init__(data_root=data_root, ann_file='', data_prefix=dict(), **kwargs)

    def load_data_list(self) -> List[dict]:
        from mmwsss.datasets.ood import list_ood_images
        num_classes = len(self._metainfo['classes'])
        paths = list_ood_images(self.data_root, self.ood_list, self.ood_root, self.check_files)
        return [dict(img_id=i, file_id=osp.splitext(osp.basename(p))[0], img_path=p, num_classes=num_classes,
                     img_labels=[], instances=[], seg_fields=[]) for i, p in enumerate(paths)]
