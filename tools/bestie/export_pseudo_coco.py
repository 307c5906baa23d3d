"""Run a trained BESTIE model on the training images and write COCO pseudo instance labels (BESTIE README.md).

Usage:
    python tools/bestie/export_pseudo_coco.py CONFIG CHECKPOINT --out PSEUDO.json [--score-thr 0.1]
        [--no-clean] [--split ImageSets/Segmentation/train.txt] [--data-root DIR] [--cfg-options k=v ...]

The images and image labels come from the config's dataset (its data_root, or --data-root, which moves
every path of the config as ``data_root=`` does); the json's categories are the dataset's classes
(``metainfo``), so a Mask R-CNN config with the same ``metainfo`` reads it.

By default the semantic probabilities are "cleaned" with the image labels (test_cfg.clean=True),
as intended for train-set pseudo labels. The json feeds configs/bestie/mask-rcnn_*.py.
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.config import DictAction

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def parse_args():
    p = argparse.ArgumentParser(description='BESTIE pseudo labels → COCO json')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--out', required=True)
    p.add_argument('--split', default='ImageSets/Segmentation/train.txt')
    p.add_argument('--cls-label-file', default='ImageSets/Segmentation/train_cls.txt')
    p.add_argument('--score-thr', type=float, default=0.0)
    p.add_argument('--min-area', type=int, default=1)
    p.add_argument('--no-clean', action='store_true', help='do not zero absent classes with the image labels')
    p.add_argument('--data-root', default=None, help='dataset root (default: the config\'s data_root)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default=None, help='config overrides, key=value')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--allow-partial', action='store_true',
                   help='load a checkpoint whose keys/shapes differ from the model (matching weights only)')
    return p.parse_args()


def main():
    args = parse_args()
    from mmwsss.utils import apply_patches
    apply_patches()  # opt in: runner checkpoints under torch's weights_only loading, ...
    from mmwsss.utils.config import load_config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from torch.utils.data import DataLoader

    import mmwsss.det  # noqa: F401
    from mmdet.registry import DATASETS, MODELS
    from mmwsss.det.stages.export_coco import export_pseudo_coco

    opts = dict(args.cfg_options or {})
    if args.data_root:
        opts['data_root'] = args.data_root
    cfg = load_config(args.config, opts)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model_cfg = cfg.model
    model_cfg.test_cfg = dict(model_cfg.get('test_cfg', {}), clean=not args.no_clean)
    model = MODELS.build(model_cfg)
    from mmwsss.utils.checkpoint import load_checkpoint_strict
    load_checkpoint_strict(model, args.checkpoint, allow_partial=args.allow_partial)
    model.to(args.device)
    ds_cfg = cfg.test_dataloader.dataset.copy()
    ds_cfg.update(ann_file=args.split, cls_label_file=args.cls_label_file, coco_ann_file=None,
                  data_prefix=dict(img_path='JPEGImages'))
    dataset = DATASETS.build(ds_cfg)
    loader = DataLoader(dataset, batch_size=1, shuffle=False, collate_fn=pseudo_collate)
    coco = export_pseudo_coco(model, loader, args.out, args.score_thr, args.min_area,
                              img_dir=osp.join(dataset.data_root, 'JPEGImages'))
    print(f'wrote {len(coco["annotations"])} instances on {len(coco["images"])} images to {args.out}')


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
