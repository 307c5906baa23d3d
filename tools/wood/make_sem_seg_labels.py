"""Random-walk pseudo masks from CAMs and a trained IRN, written as PNG in the VOC layout (IRN make_sem_seg_labels.py).

Example::

    python tools/wood/make_sem_seg_labels.py configs/wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py work_dirs/wood/irn/iter_300.pth \
        --data-root data/synthetic --cam-dir work_dirs/wood/cams --out-dir data/synthetic/pseudo_masks/wood --eval
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


RW_DEFAULTS = dict(beta=10.0, exp_times=8, radius=5, np_power=1.5, bg_thr=0.22)


def main():
    p = argparse.ArgumentParser(description='IRN random walk -> pseudo masks')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--data-root', required=True)
    p.add_argument('--cam-dir', required=True)
    p.add_argument('--out-dir', required=True)
    p.add_argument('--split', default='ImageSets/Segmentation/train.txt')
    p.add_argument('--img-dir', default='JPEGImages')
    p.add_argument('--img-suffix', default='.jpg')
    p.add_argument('--gt-dir', default='SegmentationClass')
    # defaults: the config's `random_walk` dict, else IRN's VOC values (IRN step/make_sem_seg_labels.py)
    p.add_argument('--beta', type=float, default=None, help='default 10')
    p.add_argument('--exp-times', type=int, default=None, help='default 8 (2^8 walk steps)')
    p.add_argument('--radius', type=int, default=None, help='default 5')
    p.add_argument('--np-power', type=float, default=None, help='default 1.5')
    p.add_argument('--bg-thr', type=float, default=None, help='sem_seg_bg_thres, default 0.22')
    p.add_argument('--num-classes', type=int, default=None, help='default: from the config')
    p.add_argument('--eval', action='store_true', help='pseudo-mask mIoU against --gt-dir')
    p.add_argument('--no-resume', action='store_true')
    p.add_argument('--device', default='cpu')
    p.add_argument('--allow-partial', action='store_true',
                   help='load a checkpoint whose keys/shapes differ from the model (matching weights only)')
    args = p.parse_args()
    from mmwsss.utils import apply_patches
    apply_patches()  # opt in: runner checkpoints under torch's weights_only loading, ...
    from mmwsss.apis import init_model

    from mmwsss.datasets.splits import read_split
    from mmwsss.stages.cam import eval_label_dir
    from mmwsss.stages.irn import make_sem_seg_labels
    from mmwsss.utils import atomic_write
    from mmwsss.utils.config import config_class_names, load_config
    cfg = load_config(args.config)
    rw_cfg = dict(RW_DEFAULTS, **cfg.get('random_walk', {}))
    for k in RW_DEFAULTS:
        if getattr(args, k) is None:
            setattr(args, k, rw_cfg[k])
    print('random walk: ' + ', '.join(f'{k}={getattr(args, k)}' for k in RW_DEFAULTS))
    model = init_model(args.config, args.checkpoint, args.device, allow_partial=args.allow_partial)
    ids = read_split(osp.join(args.data_root, args.split))
    from mmwsss.utils import file_identity, read_run_stamp
    stamp = dict(tool='make_sem_seg_labels', checkpoint=file_identity(args.checkpoint),
                 cams=read_run_stamp(args.cam_dir), random_walk={k: getattr(args, k) for k in RW_DEFAULTS})
    palette = None
    meta = osp.join(args.data_root, 'meta.json')
    if osp.isfile(meta):
        with open(meta) as f:
            pal = json.load(f).get('palette')
        if pal:
            palette = [int(v) for rgb in pal for v in rgb][:768]
            palette += [0] * (768 - len(palette))
    n = make_sem_seg_labels(model, ids, osp.join(args.data_root, args.img_dir), args.cam_dir, args.out_dir,
                            args.beta, args.exp_times, args.radius, args.np_power, args.bg_thr, args.img_suffix,
                            palette, resume=not args.no_resume, stamp=stamp)
    print(f'\nwrote {n} pseudo masks ({len(ids) - n} already present) to {args.out_dir}')
    if args.eval:
        num_classes = args.num_classes or cfg.get('num_classes')
        if num_classes is None:
            raise ValueError('--num-classes is needed (the config has no num_classes)')
        miou, iou = eval_label_dir(args.out_dir, osp.join(args.data_root, args.gt_dir), ids, num_classes)
        names = config_class_names(cfg) or [str(i) for i in range(num_classes)]
        per_class = {str(names[i]): round(float(v) * 100, 2) for i, v in enumerate(iou)}
        print(f'pseudo-mask mIoU {miou * 100:.2f}\nper-class IoU: {per_class}')
        with atomic_write(osp.join(args.out_dir, 'pseudo_mask_eval.json'), 'w') as f:
            json.dump(dict(miou=round(miou * 100, 2), per_class=per_class,
                           random_walk={k: getattr(args, k) for k in RW_DEFAULTS}), f, indent=1)


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
