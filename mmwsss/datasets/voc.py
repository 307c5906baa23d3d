"""PASCAL VOC-layout datasets with weak labels (see docs/dataset_layout.md)."""
import os
import os.path as osp
from typing import Dict, List, Optional

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .splits import read_split
from .classes import seg_metainfo

DEFAULT_SYNTHETIC_ROOT = 'data/synthetic'
DEFAULT_PRETRAIN_ROOT = 'data/synthetic_pretrain'

__all__ = ['WSSSVOCDataset', 'SyntheticWSSSDataset', 'SyntheticPretrainDataset', 'read_cls_label_file',
           'prepare_synthetic_root', 'synthetic_metainfo']

VOC_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
               'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant',
               'sheep', 'sofa', 'train', 'tvmonitor')
VOC_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128],
               [0, 128, 128], [128, 128, 128], [64, 0, 0], [192, 0, 0], [64, 128, 0], [192, 128, 0],
               [64, 0, 128], [192, 0, 128], [64, 128, 128], [192, 128, 128], [0, 64, 0], [128, 64, 0],
               [0, 192, 0], [128, 192, 0], [0, 64, 128]]


def read_cls_label_file(path: str, num_fg_classes: Optional[int] = None) -> Dict[str, List[int]]:
    """Read ``"<id> c1 c2 ..."`` image-level labels (0-based foreground indices).

    Args:
        path: Text file, one image per line.
        num_fg_classes: Number of foreground classes; indices must lie in ``[0, num_fg_classes)``
            (not checked when ``None``).

    Returns:
        Mapping from image id to its sorted list of foreground class indices.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: image-level label file not found')
    labels: Dict[str, List[int]] = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            try:
                classes = sorted({int(p) for p in parts[1:]})
            except ValueError:
                raise ValueError(f'{path}:{lineno}: class indices must be integers, got {line.strip()!r}')
            bad = [] if num_fg_classes is None else [c for c in classes if not 0 <= c < num_fg_classes]
            if bad:
                raise ValueError(f'{path}:{lineno}: class index {bad} outside [0, {num_fg_classes - 1}] '
                                 f'(0-based foreground indices)')
            labels[parts[0]] = classes
    return labels


@DATASETS.register_module()
class WSSSVOCDataset(BaseSegDataset):
    """A dataset in the PASCAL VOC layout with optional weak annotations.

    Each sample gives ``img_path`` and ``seg_map_path`` (as mmseg's VOC dataset), plus
    ``img_labels`` (0-based foreground indices from ``cls_label_file``; ``None`` if there is no file,
    in which case :class:`LoadWSSSAnnotations` derives them from a map) and ``<name>_path`` for every
    entry of ``extra_maps`` (e.g. ``dict(gt_scribble='Scribbles')``).

    Any class list: ``metainfo=dict(classes=..., palette=...)`` names the label values of the dataset's
    maps in order (value ``i`` is ``classes[i]``); no remapping to the default classes takes place (unlike
    mmseg's subset selection), so own names and any number of classes work. A list without a leading
    ``'background'`` gets it prepended (index 0 is background); without a palette the VOC colour map is used.

    Args:
        data_root: Dataset root in the layout of docs/dataset_layout.md.
        ann_file: Split file relative to ``data_root``.
        cls_label_file: Optional image-level label file relative to ``data_root``.
        extra_maps: ``name -> folder`` of additional per-image PNG maps (scribbles, pseudo masks, ...).
        check_files: Check at construction that every listed image (and map) exists.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = dict(classes=VOC_CLASSES, palette=VOC_PALETTE)

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'ImageSets/Segmentation/train.txt',
                 data_prefix: dict = dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
                 cls_label_file: Optional[str] = None,
                 extra_maps: Optional[Dict[str, str]] = None,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 check_files: bool = True,
                 **kwargs) -> None:
        if data_root is None or not osp.isdir(data_root):
            raise FileNotFoundError(f'{data_root}: data_root does not exist or is not a directory')
        self.cls_label_file = cls_label_file
        self.extra_maps = dict(extra_maps or {})
        self.check_files = check_files
        kwargs['metainfo'] = seg_metainfo(kwargs.get('metainfo'), self.METAINFO,
                                          where=f'{type(self).__name__} metainfo ({data_root})')
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    @classmethod
    def get_label_map(cls, new_classes=None):
        """No remapping: ``metainfo['classes']`` names the dataset's own label values (any list)."""
        return None

    def _abs(self, path: str) -> str:
        return path if osp.isabs(path) else osp.join(self.data_root, path)

    def load_data_list(self) -> List[dict]:
        ids = read_split(self.ann_file)
        num_classes = len(self._metainfo['classes'])
        cls_labels = None
        if self.cls_label_file:
            cls_labels = read_cls_label_file(self._abs(self.cls_label_file), num_classes - 1)
            missing = [i for i in ids if i not in cls_labels]
            if missing:
                raise ValueError(f'{self._abs(self.cls_label_file)}: no image-level labels for '
                                 f'{len(missing)} ids of {self.ann_file}, e.g. {missing[:3]}')
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', None)
        extra_dirs = {k: self._abs(v) for k, v in self.extra_maps.items()}
        data_list = []
        for img_id in ids:
            info = dict(img_id=img_id, img_path=osp.join(img_dir, img_id + self.img_suffix),
                        label_map=self.label_map, reduce_zero_label=self.reduce_zero_label,
                        seg_fields=[], num_classes=num_classes,
                        img_labels=None if cls_labels is None else cls_labels[img_id])
            if ann_dir is not None:
                info['seg_map_path'] = osp.join(ann_dir, img_id + self.seg_map_suffix)
            for name, folder in extra_dirs.items():
                info[f'{name}_path'] = osp.join(folder, img_id + self.seg_map_suffix)
            data_list.append(info)
        if self.check_files:
            self._check_exists(data_list)
        return data_list

    def _check_exists(self, data_list: List[dict]) -> None:
        keys = [k for k in data_list[0] if k.endswith('_path')]
        for key in keys:
            missing = [d[key] for d in data_list if not osp.isfile(d[key])]
            if missing:
                raise FileNotFoundError(
                    f'{missing[0]}: file not found ({len(missing)} of {len(data_list)} {key} entries '
                    f'listed in {self.ann_file} are missing)')


@DATASETS.register_module()
class SyntheticWSSSDataset(WSSSVOCDataset):
    """The embedded synthetic dataset; generated into ``data_root`` on first use.

    ``data_root`` rules (:func:`prepare_synthetic_root`): a folder holding the split file is used as it is
    (the embedded set or any dataset in the layout); the dataset is generated only into an absent or empty
    folder, and only where asked (``generate=True``, or the default ``data/synthetic`` with ``'auto'``).

    Args:
        generate: ``'auto'`` (default): generate into the default ``data/synthetic`` only; ``True``: also
            into any other absent or empty ``data_root``; ``False``: never.
        generator_cfg: Keyword arguments of
            :func:`mmwsss.datasets.synthetic.generate_synthetic_dataset` (seed, sizes, ...).
    """

    def __init__(self, data_root: str = DEFAULT_SYNTHETIC_ROOT, generate='auto',
                 generator_cfg: Optional[dict] = None, **kwargs) -> None:
        prepare_synthetic_root(data_root, generate, generator_cfg,
                               kwargs.get('ann_file', 'ImageSets/Segmentation/train.txt'))
        super().__init__(data_root=data_root, **kwargs)


def _is_default_root(data_root: str, default_root: str) -> bool:
    return osp.normpath(data_root) == osp.normpath(default_root) or \
        osp.abspath(data_root) == osp.abspath(default_root)


def prepare_synthetic_root(data_root: str, generate='auto', generator_cfg: Optional[dict] = None,
                           ann_file: str = 'ImageSets/Segmentation/train.txt',
                           default_root: str = DEFAULT_SYNTHETIC_ROOT, kind: str = 'dataset') -> None:
    """Make sure ``data_root`` holds a dataset before an embedded-dataset class reads it.

    * ``data_root`` holds ``ann_file``: used as it is (the embedded set, or a user's dataset in the
      layout); nothing is generated or checked against the generator's parameters.
    * ``data_root`` is absent or empty: the embedded set is generated there when ``generate`` is ``True``,
      or ``'auto'`` and ``data_root`` is ``default_root``; otherwise ``FileNotFoundError`` (a mistyped
      path never turns into a freshly generated dataset).
    * ``data_root`` is a non-empty folder without ``ann_file``: ``FileNotFoundError``; nothing is written.

    Args:
        data_root: The dataset folder.
        generate: ``'auto'``, ``True`` or ``False`` (see above).
        generator_cfg: Generator keyword arguments.
        ann_file: The split file (relative to ``data_root``) the dataset reads.
        default_root: The folder ``'auto'`` generates into.
        kind: ``'dataset'`` (the embedded set) or ``'pretrain'`` (its pretraining stand-in).
    """
    if generate not in ('auto', True, False):
        raise ValueError(f"generate must be 'auto', True or False, got {generate!r}")
    split = ann_file if osp.isabs(ann_file) else osp.join(data_root, ann_file)
    if osp.isfile(split):
        return
    tool = 'tools/dataset_converters/make_synthetic.py' + (' --pretrain' if kind == 'pretrain' else '')
    if osp.exists(data_root) and (not osp.isdir(data_root) or os.listdir(data_root)):
        raise FileNotFoundError(
            f'{split}: split file not found, and {data_root} is not empty, so nothing is generated there. '
            f'Point data_root at a folder in the layout of docs/dataset_layout.md, or at an absent or empty '
            f'folder to generate the embedded {kind} into (python {tool} DIR).')
    if generate is True or (generate == 'auto' and _is_default_root(data_root, default_root)):
        from . import synthetic
        ensure = synthetic.ensure_pretrain_dataset if kind == 'pretrain' else synthetic.ensure_synthetic_dataset
        ensure(data_root, **(generator_cfg or {}))
        return
    state = 'is empty' if osp.isdir(data_root) else 'does not exist'
    raise FileNotFoundError(
        f'{data_root}: {state}; no dataset to read. Check the path, or generate the embedded {kind} there '
        f'with `python {tool} {data_root}` (or generate=True in the dataset config); only the default '
        f'{default_root} is generated automatically.')


def synthetic_metainfo() -> dict:
    """``METAINFO`` of the embedded dataset's classes and palette."""
    from .synthetic import SYNTH_CLASSES, SYNTH_PALETTE
    return dict(classes=tuple(SYNTH_CLASSES), palette=[list(c) for c in SYNTH_PALETTE])


SyntheticWSSSDataset.METAINFO = synthetic_metainfo()


@DATASETS.register_module()
class SyntheticPretrainDataset(WSSSVOCDataset):
    """The pretraining stand-in of the embedded dataset (its "ImageNet"); generated on first use.

    One object per image, the context independent of the class (``docs/synthetic_dataset.md``,
    "Pretraining stand-in"). Its classifier's backbone initialises the models whose method assumes
    ImageNet weights (``configs/pretrain/``).

    Args:
        generate: As :class:`SyntheticWSSSDataset` (``'auto'``: only into ``data/synthetic_pretrain``).
        generator_cfg: Keyword arguments of
            :func:`mmwsss.datasets.synthetic.generate_pretrain_dataset` (seed, image_size, num_per_class).
    """
    METAINFO = synthetic_metainfo()

    def __init__(self, data_root: str = DEFAULT_PRETRAIN_ROOT, generate='auto',
                 generator_cfg: Optional[dict] = None, **kwargs) -> None:
        prepare_synthetic_root(data_root, generate, generator_cfg,
                               kwargs.get('ann_file', 'ImageSets/Segmentation/train.txt'),
                               default_root=DEFAULT_PRETRAIN_ROOT, kind='pretrain')
        super().__init__(data_root=data_root, **kwargs)
