"""PASCAL-Context 459-class .mat ground truth -> 60-class PNGs (background + 59, BLPSeg's order).

Usage: python tools/dataset_converters/pascal_context60.py data/VOCdevkit/VOC2010/Context LABELS_TXT
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmwsss.datasets.context import convert_context60  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('context_root')
    parser.add_argument('labels_file', help='the 459-class labels.txt of PASCAL-Context')
    parser.add_argument('--out-dir', default='SegmentationClass')
    args = parser.parse_args()
    counts = convert_context60(args.context_root, args.labels_file, out_dir=args.out_dir)
    print(', '.join(f'{k}: {v} PNGs written' for k, v in counts.items()))


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
