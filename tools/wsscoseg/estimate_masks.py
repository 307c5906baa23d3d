"""Estimate the target images' masks with the Initial Mask Generator (wsscoseg est_voc_train_masks.py).

Multi-scale {0.7, 1.0, 1.3}, summed probabilities, absent classes zeroed by the image-level labels (background kept),
argmax -> ``<out-dir>/<id>.png`` (VOC palette, atomic, resumable). Prints the mIoU against the GT masks when the
split has them. The final config trains on these masks by pointing ``seg_map_path`` at ``--out-dir``.

Examples:
    python tools/wsscoseg/estimate_masks.py configs/wsscoseg/wsscoseg-init_r18-d8_1xb8-4k_synthetic-web-112x112.py \
        work_dirs/wsscoseg-init_r18-d8_1xb8-4k_synthetic-web-112x112/iter_4000.pth --data-root data/synthetic
    python tools/wsscoseg/estimate_masks.py configs/wsscoseg/wsscoseg-init_r50-d8_4xb4-8k_web-320x320.py \
        work_dirs/init/iter_8000.pth --data-root data/VOCdevkit/VOC2012 \
        --ann-file ImageSets/Segmentation/train_aug.txt --cls-file ImageSets/Segmentation/train_aug_cls.txt \
        --gt-dir SegmentationClassAug
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description='wsscoseg mask estimation with image-level labels')
    p.add_argument('config', help='Initial Mask Generator config')
    p.add_argument('checkpoint')
    p.add_argument('--data-root', required=True, help='dataset root (docs/dataset_layout.md)')
    p.add_argument('--ann-file', default='ImageSets/Segmentation/train.txt')
    p.add_argument('--cls-file', default='ImageSets/Segmentation/train_cls.txt')
    p.add_argument('--img-dir', default='JPEGImages')
    p.add_argument('--out-dir', default=None, help='default <data_root>/pseudo_masks/wsscoseg')
    p.add_argument('--gt-dir', default='SegmentationClass', help='GT folder relative to data_root (skipped if absent)')
    p.add_argument('--scales', type=float, nargs='+', default=[0.7, 1.0, 1.3])
    p.add_argument('--no-resume', action='store_true')
    p.add_argument('--device', default='cpu')
    p.add_argument('--metrics-out', default=None)
    p.add_argument('--allow-partial', action='store_true',
                   help='load a checkpoint whose keys/shapes differ from the model (matching weights only)')
    return p.parse_args()


def main():
    args = parse_args()
    from mmwsss.utils import apply_patches
    apply_patches()  # opt in: runner checkpoints under torch's weights_only loading, ...
    from mmwsss.apis import init_model

    from mmwsss.datasets.splits import read_split
    from mmwsss.datasets.voc import read_cls_label_file
    from mmwsss.stages.mask_estimation import estimate_masks
    root = args.data_root
    model = init_model(args.config, args.checkpoint, args.device, allow_partial=args.allow_partial)
    num_classes = model.num_classes
    ids = read_split(osp.join(root, args.ann_file))
    labels = read_cls_label_file(osp.join(root, args.cls_file), num_classes - 1)
    gt_dir = osp.join(root, args.gt_dir) if args.gt_dir else None
    if gt_dir is not None and not osp.isdir(gt_dir):
        gt_dir = None
    try:
        from mmwsss.datasets.synthetic import voc_palette_flat
        palette = voc_palette_flat()
    except ImportError:
        palette = None
    out_dir = args.out_dir or osp.join(root, 'pseudo_masks', 'wsscoseg')
    from mmwsss.utils import file_identity
    # a resumed run must not keep masks another checkpoint estimated
    stamp = dict(tool='estimate_masks', config=osp.abspath(args.config), checkpoint=file_identity(args.checkpoint),
                 scales=list(args.scales), ann_file=osp.abspath(osp.join(root, args.ann_file)))
    result = estimate_masks(model, ids, osp.join(root, args.img_dir), labels, out_dir, tuple(args.scales),
                            gt_dir=gt_dir, num_classes=num_classes, palette=palette, resume=not args.no_resume,
                            stamp=stamp)
    print(f'\nwrote {result["written"]} masks, skipped {result["skipped"]} finished ones -> {out_dir}')
    if 'miou' in result:
        iou = ' '.join(f'{v:.3f}' for v in result['iou'])
        print(f'estimated masks: mIoU {result["miou"]:.4f} vs {gt_dir} (per class: {iou})')
        if args.metrics_out:
            from mmwsss.utils import atomic_write
            with atomic_write(args.metrics_out, 'w') as f:
                json.dump(dict(miou=result['miou'], iou=[None if v != v else float(v) for v in result['iou']]),
                          f, indent=2)


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
