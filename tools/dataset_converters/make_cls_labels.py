"""Write image-level label files ("<id> c1 c2 ...", 0-based foreground indices) without SBD.

From label maps (any dataset in the layout of docs/dataset_layout.md)::

    python tools/dataset_converters/make_cls_labels.py DATA_ROOT --split ImageSets/Segmentation/train_aug.txt \
        --mask-dir SegmentationClassAug [--out ImageSets/Segmentation/train_aug_cls.txt]

From a COCO instance json (category ids ranked -> 0-based indices; ids of images by file stem)::

    python tools/dataset_converters/make_cls_labels.py DATA_ROOT --split ImageSets/Segmentation/train.txt \
        --coco annotations/instances_train.json

The number of classes comes from --num-classes, else DATA_ROOT/meta.json or classes.txt, else 21.
Values 0 (background) and 255 (void) are not classes; a mask value >= num_classes is an error naming the file.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))


def labels_from_masks(data_root, ids, mask_dir, num_classes):
    import numpy as np
    from PIL import Image
    out = {}
    for img_id in ids:
        path = osp.join(data_root, mask_dir, img_id + '.png')
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: label map not found (id {img_id})')
        try:
            mask = np.asarray(Image.open(path))
        except OSError as e:
            raise OSError(f'{path}: cannot read label map ({e})') from None
        values = np.unique(mask)
        bad = [int(v) for v in values if num_classes <= v < 255]
        if bad:
            raise ValueError(f'{path}: values {bad} outside the {num_classes} classes (0..{num_classes - 1}, 255)')
        out[img_id] = [int(v) - 1 for v in values if 0 < v < num_classes]
    return out


def labels_from_coco(json_path, ids):
    from mmwsss.datasets.coco import coco_label_map, load_coco_json
    data = load_coco_json(json_path, need_segmentation=False)
    label_map = coco_label_map(data['categories'])
    stem_of = {im['id']: osp.splitext(osp.basename(im['file_name']))[0] for im in data['images']}
    out = {s: set() for s in stem_of.values()}
    for ann in data['annotations']:
        out[stem_of[ann['image_id']]].add(label_map[ann['category_id']] - 1)
    missing = [i for i in ids if i not in out]
    if missing:
        raise ValueError(f'{json_path}: {len(missing)} ids of the split have no image entry, e.g. {missing[:3]}')
    return {i: sorted(out[i]) for i in ids}


def main(argv=None):
    from mmwsss.datasets.classes import num_classes_at
    from mmwsss.datasets.voc_aug import read_split, write_cls_label_file
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('data_root')
    p.add_argument('--split', required=True, help='split file relative to data_root')
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--mask-dir', help='label-map folder relative to data_root')
    src.add_argument('--coco', help='COCO instance json (relative to data_root or absolute)')
    p.add_argument('--num-classes', type=int, default=None, help='classes incl. background (masks only)')
    p.add_argument('--out', default=None, help='output file relative to data_root (default: <split>_cls.txt)')
    args = p.parse_args(argv)
    split = osp.join(args.data_root, args.split)
    ids = read_split(split)
    if args.mask_dir:
        labels = labels_from_masks(args.data_root, ids, args.mask_dir, num_classes_at(args.data_root, args.num_classes))
    else:
        coco = args.coco if osp.isabs(args.coco) else osp.join(args.data_root, args.coco)
        labels = labels_from_coco(coco, ids)
    out = osp.join(args.data_root, args.out or (osp.splitext(args.split)[0] + '_cls.txt'))
    write_cls_label_file(out, labels)
    print(f'{len(labels)} images -> {out}')


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
