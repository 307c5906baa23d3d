"""Prepare PASCAL VOC 2012 + SBD: SegmentationClassAug, train_aug.txt (10,582 ids) and label files.

Usage: python tools/dataset_converters/voc_aug.py data/VOCdevkit/VOC2012 data/benchmark_RELEASE
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmwsss.datasets.voc_aug import convert_voc_aug  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('voc_root', help='VOCdevkit/VOC2012')
    parser.add_argument('sbd_root', help='benchmark_RELEASE (SBD)')
    parser.add_argument('--out-dir', default='SegmentationClassAug')
    args = parser.parse_args()
    counts = convert_voc_aug(args.voc_root, args.sbd_root, args.out_dir)
    print(f"train_aug: {counts['train_aug']} ids (10,582 expected for the full VOC+SBD), "
          f"val: {counts['val']}, converted SBD masks: {counts['converted_sbd']}, "
          f"copied VOC masks: {counts['copied_voc']}")


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
