"""MS-COCO for weakly-supervised semantic segmentation: the official instance json -> label PNGs + image labels.

COCO's 80 object categories carry ids 1..90 with ten ids unused (12, 26, 29, 30, 45, 66, 68, 69, 71, 83: the
91-category list of the 2014 paper, of which 80 were annotated). The semantic label of a category is its rank
among the json's category ids plus one (background 0), so the labels run 0..80 without gaps:
:func:`coco_label_map` gives the mapping and every conversion uses it. The WSSS benchmark uses COCO-2014
(train 82,081 / val 40,137 images) with these 81 classes.

Layout written by :func:`convert_coco_semantic` (and read by :class:`WSSSCOCODataset`)::

    <data_root>/JPEGImages/<stem>.jpg                 links to the official images (or copies)
    <data_root>/SegmentationClass/<stem>.png          0 background, 1..80 categories, 255 = crowd-only pixels
    <data_root>/ImageSets/Segmentation/<split>.txt    one <stem> per line
    <data_root>/ImageSets/Segmentation/<split>_cls.txt   "<stem> c1 c2 ..." 0-based foreground indices
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmseg.registry import DATASETS

from ..utils.io import atomic_save_png, atomic_write
from .classes import default_palette
from .voc import WSSSVOCDataset

__all__ = ['COCO_CLASSES', 'COCOFormatError', 'check_coco_dict', 'load_coco_json', 'coco_label_map',
           'annotation_mask', 'coco_semantic_mask', 'convert_coco_semantic', 'coco_classes_of', 'WSSSCOCODataset']

COCO_CLASSES = (
    'background', 'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
    'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse',
    'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie',
    'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove',
    'skateboard', 'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl',
    'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair',
    'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
    'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
    'teddy bear', 'hair drier', 'toothbrush')

_REQUIRED = dict(images=('id', 'file_name', 'height', 'width'), annotations=('image_id', 'category_id'),
                 categories=('id', 'name'))


class COCOFormatError(ValueError):
    """A COCO json that is not in the official instance format.

    The message starts with the file path and names the problem (a missing section or key, an unknown category
    or image id, an annotation without a mask). ``path`` and ``problem`` hold the two parts.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path, self.problem = path, problem
        super().__init__(f'{path}: {problem}')


def check_coco_dict(data, path: str, need_segmentation: bool = False) -> None:
    """Raise :class:`COCOFormatError` naming ``path`` unless ``data`` is an instance json in the official format.

    Required everywhere (semantic conversion, image labels, mmdet datasets, BESTIE image ids): ``images``
    (``id``, ``file_name``, ``height``, ``width``), ``annotations`` (``image_id``, ``category_id``) and
    ``categories`` (``id``, ``name``) lists; every annotation's ``category_id`` among the categories and its
    ``image_id`` among the images. With ``need_segmentation`` every annotation also has a non-empty
    ``segmentation`` (polygons or RLE): semantic labels and Mask R-CNN need instance masks, not only boxes.
    """
    if not isinstance(data, dict):
        raise COCOFormatError(path, f'not a COCO json (top level is a {type(data).__name__}, not an object with '
                              'images, annotations and categories)')
    for section, keys in _REQUIRED.items():
        entries = data.get(section)
        if not isinstance(entries, list):
            raise COCOFormatError(path, f'no "{section}" list (an instance annotation file has images, '
                                  'annotations and categories)')
        for i, entry in enumerate(entries):
            missing = [k for k in keys if not isinstance(entry, dict) or k not in entry]
            if missing:
                ident = entry.get('id', '?') if isinstance(entry, dict) else '?'
                raise COCOFormatError(path, f'{section}[{i}] (id {ident}) has no '
                                      f'{", ".join(repr(k) for k in missing)} (every entry of "{section}" needs '
                                      f'{", ".join(keys)})')
    cat_ids = {c['id'] for c in data['categories']}
    img_ids = {im['id'] for im in data['images']}
    for i, ann in enumerate(data['annotations']):
        where = f'annotations[{i}] (id {ann.get("id", "?")}, image {ann["image_id"]})'
        if ann['category_id'] not in cat_ids:
            raise COCOFormatError(path, f'{where} has category_id {ann["category_id"]}, not among the '
                                  f'{len(cat_ids)} categories of the file')
        if ann['image_id'] not in img_ids:
            raise COCOFormatError(path, f'{where} refers to image_id {ann["image_id"]}, not among the images '
                                  'of the file')
        if need_segmentation and not ann.get('segmentation'):
            raise COCOFormatError(path, f'{where} has no "segmentation"; instance masks are needed (a polygon '
                                  'list or an RLE mask per annotation: export masks, not only boxes)')


def load_coco_json(path: str, need_segmentation: bool = False) -> dict:
    """Read an instance json and check it with :func:`check_coco_dict`; every error names the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: COCO annotation file not found')
    try:
        with open(path) as f:
            data = json.load(f)
    except ValueError as e:
        raise COCOFormatError(path, f'not valid JSON ({e})') from None
    check_coco_dict(data, path, need_segmentation)
    return data


def coco_label_map(categories: Sequence[dict]) -> Dict[int, int]:
    """COCO category id -> contiguous semantic label 1..K (rank of the id; background is 0)."""
    ids = sorted(int(c['id']) for c in categories)
    return {cid: i + 1 for i, cid in enumerate(ids)}


def annotation_mask(ann: dict, height: int, width: int) -> np.ndarray:
    """Binary mask (uint8, H x W) of one annotation: polygons, uncompressed or compressed RLE."""
    from pycocotools import mask as mask_utils
    seg = ann['segmentation']
    if isinstance(seg, list):  # polygons
        if not seg:
            return np.zeros((height, width), np.uint8)
        rle = mask_utils.merge(mask_utils.frPyObjects(seg, height, width))
    elif isinstance(seg.get('counts'), list):  # uncompressed RLE (crowd regions)
        rle = mask_utils.frPyObjects(seg, height, width)
    else:
        rle = dict(seg)
        if isinstance(rle['counts'], str):
            rle['counts'] = rle['counts'].encode('ascii')
    m = mask_utils.decode(rle)
    if m.shape[:2] != (height, width):
        raise ValueError(f'annotation {ann.get("id", "?")}: mask {m.shape[:2]} != image {(height, width)}')
    return m


def coco_semantic_mask(image: dict, anns: Sequence[dict], label_map: Dict[int, int]) -> np.ndarray:
    """Semantic label map of one image.

    Objects are painted largest first, so a small object lying on a larger one keeps its pixels; crowd
    regions (``iscrowd``) get their class where no single object covers them.
    """
    h, w = int(image['height']), int(image['width'])
    label = np.zeros((h, w), np.uint8)
    order = sorted(anns, key=lambda a: (bool(a.get('iscrowd', 0)), -float(a.get('area', 0))))
    crowd = [a for a in order if a.get('iscrowd', 0)]
    objs = [a for a in order if not a.get('iscrowd', 0)]
    for ann in crowd:
        label[annotation_mask(ann, h, w) > 0] = label_map[ann['category_id']]
    for ann in objs:
        label[annotation_mask(ann, h, w) > 0] = label_map[ann['category_id']]
    return label


def _link_or_copy(src: str, dst: str, copy: bool) -> None:
    if osp.lexists(dst):
        return
    os.makedirs(osp.dirname(dst), exist_ok=True)
    tmp = dst + '.tmp'
    if osp.lexists(tmp):
        os.remove(tmp)
    if copy:
        import shutil
        shutil.copyfile(src, tmp)
    else:
        os.symlink(osp.abspath(src), tmp)
    os.replace(tmp, dst)


def convert_coco_semantic(ann_file: str, img_dir: str, out_root: str, split: str,
                          copy_images: bool = False, progress: bool = True,
                          limit: Optional[int] = None) -> Dict[str, int]:
    """Write label PNGs, the split list and image-level labels of one COCO split (resumable, atomic).

    Finished PNGs are kept (a killed run resumes where it stopped); every PNG and list is written to a
    temporary file and renamed. Images without any annotation get an all-background map and an empty label
    line (WSSS methods that train on image labels skip or use them as negatives as they choose).

    Args:
        ann_file: Official ``instances_<split>2014.json``.
        img_dir: Folder of the split's images (``train2014``).
        out_root: Dataset root in the layout of the module docstring.
        split: Name of the split files (``train`` -> ``ImageSets/Segmentation/train.txt``).
        copy_images: Copy images instead of linking them.
        progress: Show a progress bar.
        limit: Convert only the first ``limit`` images (by id; for trials).

    Returns:
        Counts: ``images``, ``written``, ``skipped`` (already converted), ``empty`` (no annotation).
    """
    data = load_coco_json(ann_file, need_segmentation=True)
    label_map = coco_label_map(data['categories'])
    by_image: Dict[int, List[dict]] = {}
    for ann in data['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    images = sorted(data['images'], key=lambda im: im['id'])[:limit]
    seg_dir = osp.join(out_root, 'SegmentationClass')
    os.makedirs(seg_dir, exist_ok=True)
    from .voc_aug import voc_palette
    palette = voc_palette()
    it = images
    if progress:
        from tqdm import tqdm
        it = tqdm(images, desc=f'COCO {split}', unit='img')
    counts = dict(images=len(images), written=0, skipped=0, empty=0)
    stems, lines = [], []
    for im in it:
        stem = osp.splitext(osp.basename(im['file_name']))[0]
        src = osp.join(img_dir, im['file_name'])
        if not osp.isfile(src):
            raise FileNotFoundError(f'{src}: image of {ann_file} (id {im["id"]}) not found')
        anns = by_image.get(im['id'], [])
        classes = sorted({label_map[a['category_id']] - 1 for a in anns})
        counts['empty'] += not anns
        stems.append(stem)
        lines.append(' '.join([stem] + [str(c) for c in classes]))
        _link_or_copy(src, osp.join(out_root, 'JPEGImages', stem + '.jpg'), copy_images)
        dst = osp.join(seg_dir, stem + '.png')
        if osp.isfile(dst):
            counts['skipped'] += 1
            continue
        try:
            label = coco_semantic_mask(im, anns, label_map)
        except ValueError as e:
            raise COCOFormatError(ann_file, f'image {im["id"]} ({im["file_name"]}): {e}') from None
        atomic_save_png(dst, label, palette)
        counts['written'] += 1
    sets = osp.join(out_root, 'ImageSets', 'Segmentation')
    with atomic_write(osp.join(sets, f'{split}.txt'), 'w') as f:
        f.write('\n'.join(stems) + '\n')
    with atomic_write(osp.join(sets, f'{split}_cls.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return counts


def coco_classes_of(data: dict, with_background: bool = True) -> Tuple[str, ...]:
    """Class names in label order (rank of the category id), for ``metainfo``."""
    names = tuple(c['name'] for c in sorted(data['categories'], key=lambda c: int(c['id'])))
    return (('background', ) + names) if with_background else names


@DATASETS.register_module()
class WSSSCOCODataset(WSSSVOCDataset):
    """COCO-2014 as a WSSS semantic dataset (81 classes with background) in the layout of
    :func:`convert_coco_semantic`; any other class list through ``metainfo`` as for every WSSS dataset."""
    METAINFO = dict(classes=COCO_CLASSES, palette=default_palette(len(COCO_CLASSES)))
