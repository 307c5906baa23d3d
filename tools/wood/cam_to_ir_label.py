"""Confident fg/bg seeds (IR labels) from CAMs with dense CRF (blpseg_wood.md B.7 step 1).

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
    from mmwsss.apis.cam import read_ids
    from mmwsss.apis.irn import make_ir_labels
    from mmwsss.utils import atomic_write
    ids = read_ids(osp.join(args.data_root, args.split))
    n = make_ir_labels(ids, osp.join(args.data_root, args.img_dir), args.cam_dir, args.out_dir, args.fg_thr,
                       args.bg_thr, not args.no_crf, args.img_suffix, resume=not args.no_resume)
    print(f'\nwrote {n} IR labels ({len(ids) - n} already present) to {args.out_dir}')
    stats = ir_label_stats(ids, args.out_dir, osp.join(args.data_root, args.gt_dir))
    print('IR label coverage / precision against GT:', json.dumps(stats))
    # written last: its presence marks a finished folder (comparison suites reuse it)
    with atomic_write(osp.join(args.out_dir, 'ir_label_stats.json'), 'w') as f:
        json.dump(stats, f, indent=2)


def ir_label_stats(ids, label_dir, gt_dir):
    """Share of pixels labelled background / foreground / ignore, and (when the GT folder exists) the share of
    labelled pixels whose label agrees with the GT: the precision of the confident seeds."""
    import numpy as np
    from PIL import Image
    counts = dict(bg=0, fg=0, ignore=0, bg_correct=0, fg_correct=0)
    has_gt = osp.isdir(gt_dir)
    for name in ids:
        lab = np.asarray(Image.open(osp.join(label_dir, name + '.png'))).astype(np.int64)
        bg, ign = lab == 0, lab == 255
        fg = ~bg & ~ign
        counts['bg'] += int(bg.sum())
        counts['fg'] += int(fg.sum())
        counts['ignore'] += int(ign.sum())
        gt_path = osp.join(gt_dir, name + '.png')
        if has_gt and osp.isfile(gt_path):
            gt = np.asarray(Image.open(gt_path)).astype(np.int64)
            counts['bg_correct'] += int((bg & (gt == 0)).sum())
            counts['fg_correct'] += int((fg & (gt == lab)).sum())
    total = max(counts['bg'] + counts['fg'] + counts['ignore'], 1)
    stats = dict(bg_fraction=counts['bg'] / total, fg_fraction=counts['fg'] / total,
                 ignore_fraction=counts['ignore'] / total)
    if has_gt:
        stats.update(bg_precision=counts['bg_correct'] / max(counts['bg'], 1),
                     fg_precision=counts['fg_correct'] / max(counts['fg'], 1))
    return stats


if __name__ == '__main__':
    main()
