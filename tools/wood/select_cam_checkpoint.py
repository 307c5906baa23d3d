"""Pick the W-OoD classifier checkpoint as the original does: the best CAM mIoU against the GT masks of VOC train.

W-OoD (``step/train_cam_clustering.py``) scores the classifier every 10 steps in the last quarter of the last
epoch (17 times on VOC) and after training, and keeps the best: CAMs at scales 0.5/1/1.5/2 x flip, background
thresholds 0.06-0.12, the best mIoU over the thresholds (with the original's accumulation across thresholds;
``--per-threshold`` scores each alone). This uses ground-truth masks, so it is not weakly supervised; the VOC
W-OoD config saves exactly those candidates (``CheckpointHook(interval=10, save_begin=3144)`` + the last one).

Example::

    python tools/wood/select_cam_checkpoint.py configs/wood/wood_r50-d16_1xb16-5e_voc12aug-512x512.py \
        work_dirs/wood_r50-d16_1xb16-5e_voc12aug-512x512/iter_*.pth --out work_dirs/wood_r50-d16_1xb16-5e_voc12aug-512x512/best_gt.pth
"""
import argparse
import json
import os.path as osp
import shutil
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def parse_args():
    p = argparse.ArgumentParser(description='Pick the classifier checkpoint by GT CAM mIoU (W-OoD)')
    p.add_argument('config')
    p.add_argument('checkpoints', nargs='+', help='candidates, in training order (ties keep the earliest)')
    p.add_argument('--out', required=True, help='copy of the best checkpoint (a scores .json is written beside)')
    p.add_argument('--data-root', default=None, help="default: the config's train dataset data_root")
    p.add_argument('--split', default='ImageSets/Segmentation/train.txt')
    p.add_argument('--cls-file', default='ImageSets/Segmentation/train_cls.txt')
    p.add_argument('--img-dir', default='JPEGImages')
    p.add_argument('--img-suffix', default='.jpg')
    p.add_argument('--gt-dir', default='SegmentationClass')
    p.add_argument('--scales', type=float, nargs='+', default=[0.5, 1.0, 1.5, 2.0])
    p.add_argument('--thresholds', type=float, nargs='+', default=[0.06, 0.08, 0.10, 0.12])
    p.add_argument('--per-threshold', action='store_true',
                   help='score each threshold alone (the original accumulates the predictions across thresholds)')
    p.add_argument('--device', default='cpu')
    return p.parse_args()


def main():
    args = parse_args()
    from mmwsss.utils import apply_patches
    apply_patches()
    from mmwsss.apis import init_model
    from mmwsss.datasets.splits import read_split
    from mmwsss.stages.cam import gt_cam_checkpoint_score, read_cls_labels
    from mmwsss.utils import atomic_write
    from mmwsss.utils.config import config_data_root, load_config
    cfg = load_config(args.config)
    root = args.data_root or config_data_root(cfg)
    ids = read_split(osp.join(root, args.split))
    labels = read_cls_labels(osp.join(root, args.cls_file))
    scores = []
    for ckpt in args.checkpoints:
        model = init_model(cfg, ckpt, args.device)
        best, mious = gt_cam_checkpoint_score(model, ids, osp.join(root, args.img_dir), osp.join(root, args.gt_dir),
                                              labels, model.num_classes, args.thresholds, args.scales,
                                              accumulate=not args.per_threshold, img_suffix=args.img_suffix)
        print(f'{ckpt}: GT CAM mIoU {best * 100:.2f} ({", ".join(f"{m * 100:.2f}" for m in mious)})', flush=True)
        scores.append(dict(checkpoint=osp.abspath(ckpt), score=round(best * 100, 4),
                           per_threshold=[round(m * 100, 4) for m in mious]))
    pick = max(range(len(scores)), key=lambda i: (scores[i]['score'], -i))  # strict improvement, as the original
    with atomic_write(args.out, 'wb') as f, open(args.checkpoints[pick], 'rb') as src:
        shutil.copyfileobj(src, f)
    with atomic_write(osp.splitext(args.out)[0] + '_scores.json', 'w') as f:
        json.dump(dict(selected=scores[pick]['checkpoint'], thresholds=args.thresholds, scales=args.scales,
                       accumulate=not args.per_threshold, candidates=scores), f, indent=1)
    print(f'selected {args.checkpoints[pick]} (GT CAM mIoU {scores[pick]["score"]:.2f}) -> {args.out}')


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
