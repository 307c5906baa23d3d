"""Confident fg/bg seeds (IR labels) from CAMs with dense CRF (IRN step/cam_to_ir_label.py).

Example::

    python tools/wood/cam_to_ir_label.py --data-root data/synthetic --cam-dir work_dirs/wood/cams \
        --out-dir work_dirs/wood/ir_label
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def main():
    p = argparse.ArgumentParser(description='CAM -> IR label (confident seeds)')
    p.add_argument('--data-root', required=True)
    p.add_argument('--cam-dir', required=True)
    p.add_argument('--out-dir', required=True)
    p.add_argument('--split', default='ImageSets/Segmentation/train.txt')
    p.add_argument('--img-dir', default='JPEGImages')
    p.add_argument('--img-suffix', default='.jpg')
    p.add_argument('--fg-thr', type=float, default=0.30, help='conf_fg_thres')
    p.add_argument('--bg-thr', type=float, default=0.15, help='conf_bg_thres (W-OoD 0.15, IRN 0.05)')
    p.add_argument('--gt-dir', default='SegmentationClass', help='for the seed precision report only')
    p.add_argument('--no-crf', action='store_true')
    p.add_argument('--no-resume', action='store_true')
    args = p.parse_args()
    from mmwsss.datasets.splits import read_split
    from mmwsss.stages.irn import ir_label_stats, make_ir_labels
    from mmwsss.utils import atomic_write
    ids = read_split(osp.join(args.data_root, args.split))
    from mmwsss.utils import read_run_stamp
    stamp = dict(tool='cam_to_ir_label', cams=read_run_stamp(args.cam_dir), fg_thr=args.fg_thr, bg_thr=args.bg_thr,
                 crf=not args.no_crf)
    n = make_ir_labels(ids, osp.join(args.data_root, args.img_dir), args.cam_dir, args.out_dir, args.fg_thr,
                       args.bg_thr, not args.no_crf, args.img_suffix, resume=not args.no_resume, stamp=stamp)
    print(f'\nwrote {n} IR labels ({len(ids) - n} already present) to {args.out_dir}')
    stats = ir_label_stats(ids, args.out_dir, osp.join(args.data_root, args.gt_dir))
    print('IR label coverage / precision against GT:', json.dumps(stats))
    # written last: its presence marks a finished folder (comparison suites reuse it)
    with atomic_write(osp.join(args.out_dir, 'ir_label_stats.json'), 'w') as f:
        json.dump(stats, f, indent=2)


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
