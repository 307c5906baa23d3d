"""Convert an official COCO instance json to WSSS semantic labels (81 classes with background).

Usage::

    python tools/dataset_converters/coco_wsss.py data/coco/annotations/instances_train2014.json \
        data/coco/train2014 data/coco2014_wsss --split train
    python tools/dataset_converters/coco_wsss.py data/coco/annotations/instances_val2014.json \
        data/coco/val2014 data/coco2014_wsss --split val

Writes <out_root>/SegmentationClass/<stem>.png, JPEGImages/<stem>.jpg (links), and
ImageSets/Segmentation/<split>.txt + <split>_cls.txt. Resumable: a re-run skips finished PNGs;
every file is written atomically. See mmwsss/datasets/coco.py for the class mapping (category ids
1..90 with ten unused -> labels 1..80).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmwsss.datasets.coco import convert_coco_semantic  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('ann_file', help='instances_<split>2014.json')
    p.add_argument('img_dir', help='folder of the split images (train2014 / val2014)')
    p.add_argument('out_root', help='dataset root to write (data_root of configs/_base_/datasets/coco2014_wsss.py)')
    p.add_argument('--split', required=True, help='split name: writes ImageSets/Segmentation/<split>.txt')
    p.add_argument('--copy-images', action='store_true', help='copy images instead of symlinking them')
    p.add_argument('--limit', type=int, default=None, help='convert only the first N images (by id)')
    p.add_argument('--no-progress', action='store_true')
    args = p.parse_args(argv)
    counts = convert_coco_semantic(args.ann_file, args.img_dir, args.out_root, args.split, args.copy_images,
                                   progress=not args.no_progress, limit=args.limit)
    print(f"{args.split}: {counts['images']} images ({counts['written']} written, {counts['skipped']} already "
          f"done, {counts['empty']} without annotations) -> {args.out_root}")


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
