"""Co-segment web images grouped by class (wsscoseg step 2; docs/implementation.md) and/or score web masks.

Writes ``<out-dir>/<cls>_<number>.png`` (0 background, cls object, VOC palette) atomically; a rerun resumes (the
folder's run stamp records the settings, images and CAM prior; other inputs need ``--no-resume``).
Prints the mask quality against ``--gt-dir`` (default ``<data_root>/web_labels_gt`` when it exists).

Examples:
    # embedded dataset -> data/synthetic/web_labels_coseg, scored against web_labels_gt
    python tools/wsscoseg/coseg.py data/synthetic --out-dir data/synthetic/web_labels_coseg
    # with a trained CAM classifier as the foreground prior
    python tools/wsscoseg/coseg.py data/synthetic --cam-config configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py \
        --cam-checkpoint work_dirs/cam_r18-d8_1xb8-2k_synthetic-112x112/iter_2000.pth
    # only score a folder of masks you bring (e.g. the shipped web_labels)
    python tools/wsscoseg/coseg.py data/synthetic --eval-only data/synthetic/web_labels
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description='Co-segmentation of web images grouped by class')
    p.add_argument('data_root', help='root holding web_images/, web_train_list.txt (docs/dataset_layout.md)')
    p.add_argument('--img-dir', default='web_images', help='image folder (relative to data_root)')
    p.add_argument('--list', default='web_train_list.txt', help='list of <cls>_<number> names (relative)')
    p.add_argument('--out-dir', default=None, help='output folder (default <data_root>/web_labels_coseg)')
    p.add_argument('--gt-dir', default=None, help='GT masks to score against (default <data_root>/web_labels_gt)')
    p.add_argument('--num-classes', type=int, default=None,
                   help='classes incl. background (default: from <data_root>/meta.json or classes.txt, with or '
                        'without a "background" entry, else 21)')
    p.add_argument('--eval-only', default=None, metavar='DIR', help='only score the masks in DIR')
    p.add_argument('--cam-config', default=None, help='CAMClassifier config for a CAM foreground prior')
    p.add_argument('--cam-checkpoint', default=None)
    p.add_argument('--no-crf', action='store_true', help='skip the dense-CRF refinement')
    p.add_argument('--no-resume', action='store_true', help='recompute existing masks')
    p.add_argument('--param', nargs='*', default=[], metavar='KEY=VALUE', help='CosegParams overrides')
    p.add_argument('--metrics-out', default=None, help='write the quality numbers as JSON')
    p.add_argument('--allow-partial', action='store_true',
                   help='load a checkpoint whose keys/shapes differ from the model (matching weights only)')
    return p.parse_args()


def main():
    args = parse_args()
    from mmwsss.utils import apply_patches
    apply_patches()  # opt in: runner checkpoints under torch's weights_only loading, ...
    from mmwsss.datasets.splits import read_split
    from mmwsss.stages.coseg import CosegParams, mask_quality, run_coseg
    root = args.data_root
    from mmwsss.datasets.classes import num_classes_at
    palette = None
    num_classes = num_classes_at(root, args.num_classes)
    try:
        from mmwsss.datasets.synthetic import voc_palette_flat
        palette = voc_palette_flat()
    except ImportError:
        palette = None
    names = read_split(osp.join(root, args.list))
    gt_dir = args.gt_dir or osp.join(root, 'web_labels_gt')
    if not osp.isdir(gt_dir):
        if args.gt_dir:
            raise FileNotFoundError(f'{gt_dir}: GT folder not found')
        gt_dir = None
    if args.eval_only:
        if gt_dir is None:
            raise FileNotFoundError(f'{root}: --eval-only needs GT masks (--gt-dir)')
        quality = mask_quality(args.eval_only, gt_dir, names, num_classes)
    else:
        kw = {}
        for item in args.param:
            if '=' not in item:
                raise ValueError(f'--param expects KEY=VALUE, got {item!r}')
            k, v = item.split('=', 1)
            if k not in CosegParams.__dataclass_fields__:
                raise ValueError(f'--param: unknown CosegParams field {k!r}')
            kw[k] = None if v == 'None' else type(getattr(CosegParams(), k) or '')(v)
        if args.no_crf:
            kw['crf_preset'] = None
        prior_fn = None
        if args.cam_config:
            from mmwsss.apis import init_model

            from mmwsss.stages.coseg import cam_prior
            prior_fn = cam_prior(init_model(args.cam_config, args.cam_checkpoint, allow_partial=args.allow_partial))
        out_dir = args.out_dir or osp.join(root, 'web_labels_coseg')
        params = CosegParams(**kw)
        from dataclasses import asdict

        from mmwsss.utils import file_identity
        # a resumed run must not keep masks made with other settings, images or another CAM prior
        stamp = dict(tool='coseg', img_dir=osp.abspath(osp.join(root, args.img_dir)),
                     list=osp.abspath(osp.join(root, args.list)), params=asdict(params),
                     cam_config=osp.abspath(args.cam_config) if args.cam_config else None,
                     cam_checkpoint=file_identity(args.cam_checkpoint) if args.cam_checkpoint else None)
        result = run_coseg(osp.join(root, args.img_dir), names, out_dir, num_classes, params,
                           prior_fn=prior_fn, gt_dir=gt_dir, palette=palette, resume=not args.no_resume, stamp=stamp)
        print(f'\nwrote {result["written"]} masks, skipped {result["skipped"]} finished ones -> {out_dir}')
        quality = result.get('quality')
    if quality is None:
        print('no GT masks: quality not measured')
        return
    iou = ' '.join(f'{v:.3f}' for v in quality['iou'])
    print(f'web mask quality: mean object IoU {quality["mean_fg_iou"]:.4f} | mIoU {quality["miou"]:.4f} '
          f'(per class: {iou})')
    if args.metrics_out:
        from mmwsss.utils import atomic_write
        with atomic_write(args.metrics_out, 'w') as f:
            json.dump(dict(mean_fg_iou=quality['mean_fg_iou'], miou=quality['miou'],
                           iou=[None if v != v else float(v) for v in quality['iou']]), f, indent=2)


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
