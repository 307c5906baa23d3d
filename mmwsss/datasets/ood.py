"""Out-of-distribution image datasets for W-OoD (W-OoD run_sample.py)."""
import copy
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, Compose
from mmseg.registry import DATASETS

__all__ = ['OoDImageDataset', 'WOoDMixDataset', 'read_ood_list', 'list_ood_images']


def read_ood_list(list_file: str) -> List[str]:
    """Read an ``ood_list.txt`` (one image path relative to the OoD root per line; blank lines and ``#``
    comments ignored).

    Raises:
        FileNotFoundError: the list file does not exist.
        ValueError: the list is empty or names an absolute path.
    """
    if not osp.isfile(list_file):
        raise FileNotFoundError(f'{list_file}: OoD list file not found')
    with open(list_file) as f:
        names = [ln.strip() for ln in f]
    names = [n for n in names if n and not n.startswith('#')]
    if not names:
        raise ValueError(f'{list_file}: OoD list is empty')
    for lineno, n in enumerate(names, 1):
        if osp.isabs(n):
            raise ValueError(f'{list_file}: entry {lineno} "{n}" is absolute; entries must be relative to the '
                             'OoD image root')
    return names


def list_ood_images(data_root: Optional[str], ood_list: str, ood_root: str, check_files: bool = True) -> List[str]:
    """Paths of the images an ``ood_list.txt`` names (W-OoD's list layout; also BESTIE's OoD PAM negatives).

    Args:
        data_root: Root that relative ``ood_list`` / ``ood_root`` are joined to.
        ood_list: List file (:func:`read_ood_list`).
        ood_root: Folder the list entries are relative to.
        check_files: Raise when a listed image does not exist.

    Raises:
        FileNotFoundError: the list, the image root or (with ``check_files``) a listed image is missing.
        ValueError: the list is empty or names an absolute path.
    """
    list_file = ood_list if osp.isabs(ood_list) else osp.join(data_root or '', ood_list)
    root = ood_root if osp.isabs(ood_root) else osp.join(data_root or '', ood_root)
    names = read_ood_list(list_file)
    if not osp.isdir(root):
        raise FileNotFoundError(f'{root}: OoD image root (from {list_file}) not found')
    paths = [osp.join(root, n) for n in names]
    if check_files:
        missing = [p for p in paths if not osp.isfile(p)]
        if missing:
            raise FileNotFoundError(f'{list_file}: {len(missing)} listed OoD image(s) do not exist, e.g. '
                                    f'{missing[:3]}')
    return paths


@DATASETS.register_module()
class OoDImageDataset(BaseDataset):
    """Images with no foreground class (W-OoD's hard OoD set).

    Each line of ``ood_list`` is a path relative to ``ood_root`` (the original loader joins
    ``ood_root`` and the stripped line). Every sample gets the all-zero label: ``gt_img_labels`` is a zero vector
    of length ``num_classes`` (background included and also 0: OoD images are not "background images", they simply
    carry no label). Grayscale files are decoded as 3-channel images by ``LoadImageFromFile``
    (``color_type='color'``), as the original repeats gray channels.

    Args:
        data_root: root that ``ood_root`` and ``ood_list`` are relative to.
        ood_list: list file, e.g. ``'ood_list.txt'`` (embedded set) or ``'openimages/ood_list.txt'``.
        ood_root: folder the list entries are relative to (embedded set: ``'ood_images'``; the embedded list
            stores names relative to this folder).
        num_classes: classes including background (length of ``gt_img_labels``).
        check_files: verify at load time that every listed file exists (raises naming the first missing ones).
        pipeline, test_mode, lazy_init, max_refetch, serialize_data: as in ``mmengine.dataset.BaseDataset``.
    """

    METAINFO = dict()

    def __init__(self,
                 data_root: str = '',
                 ood_list: str = 'ood_list.txt',
                 ood_root: str = 'ood_images',
                 num_classes: int = 21,
                 check_files: bool = True,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 serialize_data: bool = True,
                 max_refetch: int = 1000,
                 metainfo: Optional[dict] = None):
        self.ood_list = ood_list
        self.ood_root = ood_root
        self.num_classes = num_classes
        self.check_files = check_files
        super().__init__(
            ann_file='',
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=dict(),
            pipeline=list(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            serialize_data=serialize_data,
            max_refetch=max_refetch)

    def load_data_list(self) -> List[dict]:
        return [
            dict(
                img_path=path,
                img_labels=[],
                gt_img_labels=np.zeros(self.num_classes, dtype=np.float32),
                seg_fields=[],
                reduce_zero_label=False)
            for path in list_ood_images(self.data_root, self.ood_list, self.ood_root, self.check_files)
        ]


@DATASETS.register_module()
class WOoDMixDataset:
    """Pairs each in-distribution sample with one random OoD image (ID and OoD batches of the same size, W-OoD
    train_cam_clustering.py).

    ``__getitem__(i)`` returns the ID sample's dict (``inputs``, ``data_samples``) plus ``ood_inputs``: the
    ``inputs`` tensor of a random OoD sample (its own pipeline). The OoD index is drawn from a permutation that is
    re-shuffled each time it is exhausted, like the original's restarted OoD loader.

    Args:
        dataset: ID dataset config or instance.
        ood_dataset: OoD dataset config or instance (e.g. :class:`OoDImageDataset`).
        seed: seed of the OoD permutation (per-worker offsets come from the index).
        data_root: default ``data_root`` of the two dataset configs (one that sets its own keeps it), so the
            OoD list and images can live in the same dataset folder as the ID images.
    """

    def __init__(self, dataset: Union[dict, BaseDataset], ood_dataset: Union[dict, BaseDataset], seed: int = 0,
                 data_root: Optional[str] = None):
        if data_root is not None:
            dataset, ood_dataset = [dict(d, data_root=d.get('data_root', data_root)) if isinstance(d, dict) else d
                                    for d in (dataset, ood_dataset)]
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.ood_dataset = DATASETS.build(ood_dataset) if isinstance(ood_dataset, dict) else ood_dataset
        if len(self.ood_dataset) == 0:
            raise ValueError('WOoDMixDataset: the OoD dataset is empty')
        self.seed = seed
        self._worker = None
        self._rng = np.random.default_rng(seed)
        self._perm = self._rng.permutation(len(self.ood_dataset))
        self._pos = 0

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self) -> None:
        for d in (self.dataset, self.ood_dataset):
            if hasattr(d, 'full_init'):
                d.full_init()

    def __len__(self) -> int:
        return len(self.dataset)

    def _next_ood_index(self) -> int:
        import torch.utils.data
        info = torch.utils.data.get_worker_info()
        wid = None if info is None else (info.id, info.seed)
        if wid != self._worker:  # each dataloader worker draws its own OoD sequence
            self._worker = wid
            self._rng = np.random.default_rng([self.seed] + ([] if info is None else [info.id, info.seed % 2**32]))
            self._perm = self._rng.permutation(len(self.ood_dataset))
            self._pos = 0
        if self._pos >= len(self._perm):
            self._perm = self._rng.permutation(len(self.ood_dataset))
            self._pos = 0
        j = int(self._perm[self._pos])
        self._pos += 1
        return j

    def __getitem__(self, idx: int) -> dict:
        item = self.dataset[idx]
        ood = self.ood_dataset[self._next_ood_index()]
        item = dict(item)
        item['ood_inputs'] = ood['inputs']
        return item
