"""mmdet's ``CocoDataset`` restricted to the images of a split file, with the json checked first."""
import os.path as osp
from typing import List, Optional

from mmdet.registry import DATASETS

from mmwsss.datasets.classes import foreground

from .coco import CheckedCocoDataset, COCOFormatError, load_coco_json

__all__ = ['SplitCocoDataset']


@DATASETS.register_module()
class SplitCocoDataset(CheckedCocoDataset):
    """A COCO instance json read through :class:`CheckedCocoDataset`, keeping only the images of ``split_file``.

    One json often covers several splits (or pseudo labels cover more images than a run should see);
    ``split_file`` (one image stem per line, relative to ``data_root``) selects the split, and a listed image
    missing from the json is an error naming both files. The json is checked before mmdet parses it: a
    missing key or an annotation with an unknown ``category_id`` raises an error naming the file.
    ``metainfo['classes']`` (a leading ``'background'`` is dropped) name the categories of the json.

    Args:
        split_file: Split list; ``None`` keeps every image of the json.
        with_mask: As :class:`CheckedCocoDataset` (every annotation must have a mask).
    """

    def __init__(self, *args, split_file: Optional[str] = None, **kwargs) -> None:
        self.split_file = split_file
        meta = kwargs.get('metainfo')
        if meta and 'classes' in meta:
            kwargs['metainfo'] = dict(meta, classes=foreground(tuple(meta['classes'])))
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        data = load_coco_json(self.ann_file)
        names = {c['name'] for c in data['categories']}
        unknown = [c for c in self._metainfo['classes'] if c not in names]
        if unknown:
            raise COCOFormatError(self.ann_file, f'classes {unknown} of metainfo are not categories of the file '
                                  f'(it has {sorted(names)})')
        data_list = super().load_data_list()
        if not self.split_file:
            return data_list
        split = self.split_file if osp.isabs(self.split_file) else osp.join(self.data_root or '', self.split_file)
        if not osp.isfile(split):
            raise FileNotFoundError(f'{split}: split file not found')
        with open(split) as f:
            keep = [ln.split()[0] for ln in f if ln.strip()]
        by_stem = {osp.splitext(osp.basename(d['img_path']))[0]: d for d in data_list}
        missing = [s for s in keep if s not in by_stem]
        if missing:
            raise ValueError(f'{split}: {len(missing)} images are not in {self.ann_file}, e.g. {missing[:3]}')
        return [by_stem[s] for s in keep]
