"""Multi-scale x flip CAMs of a CAM classifier saved as .npy (atomic, resumable) + CAM mIoU sweep.

Example (embedded dataset)::

    python tools/wood/make_cam.py configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py work_dirs/cam_r18-d8_1xb8-2k_synthetic-112x112/iter_2000.pth \
        --out-dir work_dirs/cam_r18-d8_1xb8-2k_synthetic-112x112/cams --eval

AdvCAM (Lee et al., CVPR 2021; W-OoD get_advcam.py) instead of plain CAMs: ``--advcam`` or the config's
``make_cam.advcam`` (set in the W-OoD VOC config); ``--adv-iter/--adv-coeff/--adv-step/--score-th`` override
its arguments (defaults 27 / 7 / 0.08 / 0.5, the original's).
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def parse_args():
    p = argparse.ArgumentParser(description='Make CAMs (W-OoD step/make_cam.py) and evaluate them')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--out-dir', required=True, help='folder for <id>.npy')
    p.add_argument('--data-root', default=None, help='default: the config\'s train dataset data_root')
    p.add_argument('--split', default='ImageSets/Segmentation/train.txt', help='id list (relative to data root)')
    p.add_argument('--cls-file', default='ImageSets/Segmentation/train_cls.txt')
    p.add_argument('--img-dir', default='JPEGImages')
    p.add_argument('--img-suffix', default='.jpg')
    p.add_argument('--gt-dir', default='SegmentationClass')
    p.add_argument('--scales', type=float, nargs='+', default=[1.0, 0.5, 1.5, 2.0])
    p.add_argument('--no-flip', action='store_true')
    p.add_argument('--resize', choices=['pil_bicubic', 'bilinear'], default=None,
                   help="per-scale input: IRN's PIL bicubic of the image (default) or bilinear of the normalised input "
                   "(default: the config's make_cam.resize, else pil_bicubic)")
    p.add_argument('--high-res', choices=['strided_up', 'direct'], default=None,
                   help="high_res CAM: IRN's resize to the size rounded up to 16 + crop (default) or straight to H x W "
                   "(default: the config's make_cam.high_res, else strided_up)")
    p.add_argument('--advcam', action='store_true', default=None,
                   help="AdvCAM (W-OoD get_advcam.py) instead of plain CAMs (default: the config's make_cam.advcam, "
                   'else off)')
    p.add_argument('--no-advcam', dest='advcam', action='store_false', help='plain CAMs even if the config says AdvCAM')
    p.add_argument('--adv-iter', type=int, default=None, help='AdvCAM iterations (default 27)')
    p.add_argument('--adv-coeff', type=float, default=None, help='AdvCAM restriction weight (default 7)')
    p.add_argument('--adv-step', type=float, default=None, help='AdvCAM step size (default 0.08)')
    p.add_argument('--score-th', type=float, default=None, help='AdvCAM restricted-region threshold (default 0.5)')
    p.add_argument('--no-resume', action='store_true', help='recompute existing .npy files')
    p.add_argument('--eval', action='store_true', help='CAM mIoU over a sweep of background thresholds')
    p.add_argument('--thresholds', type=float, nargs='+',
                   default=[0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5])
    p.add_argument('--device', default='cpu')
    p.add_argument('--allow-partial', action='store_true',
                   help='load a checkpoint whose keys/shapes differ from the model (matching weights only)')
    return p.parse_args()


def advcam_settings(args, cam_cfg: dict):
    """AdvCAM arguments from the command line over the config's ``make_cam.advcam`` (True/False or a dict of
    ``adv_iter``/``coeff``/``step``/``score_th``); ``None`` for plain CAMs."""
    from mmwsss.stages.advcam import ADVCAM_DEFAULTS
    conf = cam_cfg.get('advcam', False)
    on = bool(conf) if args.advcam is None else args.advcam
    if not on:
        return None
    settings = dict(ADVCAM_DEFAULTS, **(conf if isinstance(conf, dict) else {}))
    unknown = set(settings) - set(ADVCAM_DEFAULTS)
    if unknown:
        raise ValueError(f'{args.config}: make_cam.advcam has unknown keys {sorted(unknown)}; '
                         f'allowed: {sorted(ADVCAM_DEFAULTS)}')
    for key, value in (('adv_iter', args.adv_iter), ('coeff', args.adv_coeff), ('step', args.adv_step),
                       ('score_th', args.score_th)):
        if value is not None:
            settings[key] = value
    settings['adv_iter'] = int(settings['adv_iter'])
    if settings['adv_iter'] < 1:
        raise ValueError(f'--adv-iter must be >= 1 (1 = plain Grad-CAM), got {settings["adv_iter"]}')
    return settings


def main():
    args = parse_args()
    from mmwsss.utils import apply_patches
    apply_patches()  # opt in: runner checkpoints under torch's weights_only loading, ...
    import numpy as np
    from mmwsss.utils.config import config_class_names, config_data_root, load_config

    from mmwsss.apis import init_model

    from mmwsss.datasets.splits import read_split
    from mmwsss.stages.cam import eval_cams, make_cams, read_cls_labels
    from mmwsss.utils import atomic_write
    cfg = load_config(args.config)
    cam_cfg = dict(resize='pil_bicubic', high_res='strided_up', **cfg.get('make_cam', {}))
    resize = args.resize or cam_cfg['resize']
    high_res = args.high_res or cam_cfg['high_res']
    advcam = advcam_settings(args, cam_cfg)
    root = args.data_root or config_data_root(cfg)
    model = init_model(cfg, args.checkpoint, args.device, allow_partial=args.allow_partial)
    ids = read_split(osp.join(root, args.split))
    labels = read_cls_labels(osp.join(root, args.cls_file))
    from mmwsss.utils import file_identity
    stamp = dict(tool='make_cam', config=osp.abspath(args.config), checkpoint=file_identity(args.checkpoint),
                 scales=list(args.scales), flip=not args.no_flip, resize=resize, high_res=high_res,
                 split=osp.abspath(osp.join(root, args.split)))
    if advcam is not None:
        stamp['advcam'] = advcam
    n = make_cams(model, ids, osp.join(root, args.img_dir), labels, args.out_dir, args.scales, not args.no_flip,
                  args.img_suffix, resume=not args.no_resume, resize=resize, high_res=high_res, stamp=stamp,
                  advcam=advcam)
    print(f'\nwrote {n} CAM files ({len(ids) - n} already present) to {args.out_dir}')
    if args.eval:
        res = eval_cams(args.out_dir, osp.join(root, args.gt_dir), ids, model.num_classes, args.thresholds)
        classes = config_class_names(cfg) or [str(i) for i in range(model.num_classes)]
        for t, (m, _) in res['results'].items():
            print(f'bg thr {t:.2f}: CAM mIoU {m * 100:.2f}')
        print(f'best thr {res["best_thr"]:.2f}: mIoU {res["best_miou"] * 100:.2f}')
        per_class = {str(classes[i]) if i < len(classes) else str(i): round(float(v) * 100, 2)
                     for i, v in enumerate(res['best_iou'])}
        print('per-class IoU:', per_class)
        # share of CAM maxima on the class's own pixels (low = the CAM peaks on context)
        peak = {str(classes[i]) if i < len(classes) else str(i): round(float(v) * 100, 1)
                for i, v in enumerate(res['peak_on_object']) if np.isfinite(v)}
        print('CAM maximum on the object (%):', peak)
        out = dict(sweep={f'{t:.2f}': round(m * 100, 2) for t, (m, _) in res['results'].items()},
                   best_thr=res['best_thr'], best_miou=round(res['best_miou'] * 100, 2), per_class=per_class,
                   peak_on_object=peak)
        with atomic_write(osp.join(args.out_dir, 'cam_eval.json'), 'w') as f:
            json.dump(out, f, indent=1)


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
