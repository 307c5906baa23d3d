"""How well instance cues (PAM peaks or points) serve BESTIE's knowledge transfer, against the GT class map.

Reports the share of cues on their own class, how many class components (>= min area) get exactly one cue
(accepted: one pseudo instance) or 0 / several (rejected, weight 0), and the share of foreground pixels that
get instance targets. Writes the numbers as JSON next to the cue files (atomically).

Usage:
    python tools/bestie/eval_peaks.py [--data-root data/synthetic] [--points-dir Peak_points]
        [--split ImageSets/Segmentation/train.txt] [--conf-thr 0.7] [--min-area 20] [--out FILE]
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default='data/synthetic')
    p.add_argument('--points-dir', default='Peak_points', help='relative to the data root (or absolute)')
    p.add_argument('--seg-dir', default='SegmentationClass', help='GT class maps, relative to the data root')
    p.add_argument('--split', default='ImageSets/Segmentation/train.txt')
    # the loader's defaults: PAM peaks keep conf > 0.7 (BESTIE PAM/models/classifier.py); embedded configs use min area
    # 20
    p.add_argument('--conf-thr', type=float, default=0.7, help='negative: keep every cue')
    p.add_argument('--min-area', type=int, default=20)
    p.add_argument('--out', default=None, help='default: <points_dir>/cue_eval.json')
    args = p.parse_args(argv)
    from mmwsss.datasets.splits import read_split
    from mmwsss.det.stages.peaks import evaluate_points
    from mmwsss.utils.io import atomic_write
    ids = read_split(osp.join(args.data_root, args.split))
    points_dir = osp.join(args.data_root, args.points_dir)
    res = evaluate_points(points_dir, osp.join(args.data_root, args.seg_dir), ids,
                          None if args.conf_thr < 0 else args.conf_thr, args.min_area)
    res.update(conf_thr=args.conf_thr, min_area=args.min_area, split=args.split)
    out = args.out or osp.join(points_dir, 'cue_eval.json')
    with atomic_write(out, 'w') as f:
        json.dump(res, f, indent=1)
    print(f"{res['points']} cues on {res['images']} images: {res['hit_rate']:.1f} % on their class; "
          f"{res['comp_1']} of {res['components']} components accepted ({res['accepted_rate']:.1f} %; "
          f"{res['comp_0']} without a cue, {res['comp_many']} with several); instance targets on "
          f"{res['accepted_fg_share']:.1f} % of the foreground pixels -> {out}")
    return res


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
