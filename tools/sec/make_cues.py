"""Generate SEC localization cues (SEC training/localization_cues) from image-level labels.

Trains the foreground CAM classifier and the background gradient-saliency classifier, makes the
cues, writes ``localization_cues.pickle.gz`` + ``input_list.txt`` in the original SEC format and
prints cue precision/coverage against the ground truth (when ``SegmentationClass`` exists).
Trained classifiers are kept in the work dir, so a rerun skips training (resume); so are the per-image cues
(``<work-dir>/cue_parts``, one resumable file per image, tied to the nets and settings by a run stamp), which are
assembled into the cue file at the end. With ``--fg-checkpoint`` and
``--bg-checkpoint`` (checkpoints of ``tools/train.py`` runs of the cue-classifier configs,
``configs/sec/sec-cues-{fg,bg}_*.py``) the tool trains nothing and only makes the cues.

Examples:
    # classifiers trained on the Runner, then the cues from their checkpoints
    python tools/train.py configs/sec/sec-cues-fg_r18-d8_1xb16-600it_synthetic-128x128.py
    python tools/train.py configs/sec/sec-cues-bg_r18-d8_1xb16-600it_synthetic-128x128.py
    python tools/sec/make_cues.py data/synthetic --preset synthetic \
        --fg-checkpoint work_dirs/sec-cues-fg_r18-d8_1xb16-600it_synthetic-128x128/iter_600.pth \
        --bg-checkpoint work_dirs/sec-cues-bg_r18-d8_1xb16-600it_synthetic-128x128/iter_600.pth
    # embedded dataset (small ResNet-18 backbone, 128x128 input, 16x16 cue grid)
    python tools/sec/make_cues.py data/synthetic --preset synthetic --work-dir work_dirs/sec_cues_synthetic
    # PASCAL VOC train_aug (VGG-16 CAM/saliency nets at 321x321, 41x41 cue grid)
    python tools/sec/make_cues.py data/VOCdevkit/VOC2012 --preset voc --pretrained vgg16_20M.pth \
        --ann-file ImageSets/Segmentation/train_aug.txt --cls-file ImageSets/Segmentation/train_aug_cls.txt
"""
import argparse
import os
import os.path as osp
import sys
import time

import numpy as np
import torch

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))  # noqa: E402

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
# --preset NAME: the SEC config of that dataset, whose cue_cfg describes the cue classifiers
PRESETS = {
    'synthetic': osp.join(ROOT, 'configs', 'sec', 'sec_r18-d8_1xb8-2k_synthetic-128x128.py'),
    'voc': osp.join(ROOT, 'configs', 'sec', 'sec_vgg16-largefov_1xb15-8k_voc12aug-321x321.py'),
}


def cue_models(config: str, num_classes: int, pretrained=None, width=None):
    """The two classifier configs of a config's ``cue_cfg``, completed with the class count, init and width.

    Returns:
        tuple: (fg model config, bg model config, data settings, training settings) as plain dicts.
    """
    from mmengine.config import Config
    full = Config.fromfile(config)
    if 'cue_cfg' not in full:
        raise ValueError(f'{config}: has no cue_cfg (the cue classifiers); use a configs/sec/ config')
    cfg = full.cue_cfg
    fg, bg = cfg.fg_model.to_dict(), cfg.bg_model.to_dict()
    for m in (fg, bg):
        if cfg.get('backbone_out_indices') is not None:
            m['backbone']['out_indices'] = tuple(cfg.backbone_out_indices)
        if width:  # the small ResNet at another width: its last stage has 8x the base channels
            m['backbone'].update(stem_channels=width, base_channels=width)
            m['in_channels'] = width * 8
        m['backbone']['init_cfg'] = dict(type='Pretrained', checkpoint=pretrained) if pretrained else None
    fg['num_classes'] = num_classes
    bg['num_fg'] = num_classes - 1
    return fg, bg, cfg.data.to_dict(), cfg.train.to_dict()


def parse_args():
    p = argparse.ArgumentParser(description='Generate SEC localization cues (original pickle format)')
    p.add_argument('data_root', help='dataset root in the docs/dataset_layout.md layout')
    p.add_argument('--preset', choices=sorted(PRESETS), default='synthetic',
                   help='the SEC config of a dataset, whose cue_cfg describes the cue classifiers')
    p.add_argument('--config', default=None, help='a config with a cue_cfg, instead of --preset')
    p.add_argument('--work-dir', default=None,
                   help='classifier checkpoints + logs (default work_dirs/sec_cues_<preset>)')
    p.add_argument('--ann-file', default='ImageSets/Segmentation/train.txt')
    p.add_argument('--cls-file', default='ImageSets/Segmentation/train_cls.txt')
    p.add_argument('--out-dir', default=None,
                   help='where localization_cues.pickle.gz and input_list.txt go (default <data_root>/sec_cues)')
    p.add_argument('--num-classes', type=int, default=None,
                   help='incl. background; default from <data_root>/meta.json or classes.txt (with or without '
                   'a "background" entry), else 21')
    p.add_argument('--pretrained', default=None, help='backbone checkpoint (e.g. converted vgg16_20M) for both nets')
    p.add_argument('--iters', type=int, default=None)
    p.add_argument('--step', type=int, default=None, help='lr x0.1 every STEP iterations')
    p.add_argument('--lr', type=float, default=None)
    p.add_argument('--batch-size', type=int, default=None)
    p.add_argument('--fg-thr', type=float, default=0.2, help='fg cue: CAM > thr * max (as SEC)')
    p.add_argument('--bg-frac', type=float, default=0.1, help='bg cue: lowest fraction of saliency (as SEC)')
    p.add_argument('--fg-conflict', choices=['drop', 'max'], default='drop')
    p.add_argument('--fg-checkpoint', default=None,
                   help='use a trained CAMClassifier checkpoint (mmengine .pth, e.g. from tools/train.py with '
                        'configs/sec/sec-cues-fg_r18-d8_1xb16-600it_synthetic-128x128.py) instead of training '
                        'the fg net')
    p.add_argument('--bg-checkpoint', default=None,
                   help='use a trained SECSaliencyClassifier checkpoint (mmengine .pth, e.g. from tools/train.py '
                        'with configs/sec/sec-cues-bg_r18-d8_1xb16-600it_synthetic-128x128.py) instead of '
                        'training the bg net')
    p.add_argument('--bg-from-fg', action='store_true',
                   help='take the bg saliency from the fg CAM classifier instead of training a second net '
                        '(cheaper; SEC trains a separate one)')
    p.add_argument('--gen-batch-size', type=int, default=16)
    p.add_argument('--backbone-width', type=int, default=None,
                   help='small ResNet configs: stem/base channels (default: as the shared base config)')
    p.add_argument('--overwrite', action='store_true', help='regenerate an existing cue file (default: skip)')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--allow-partial', action='store_true',
                   help='load a checkpoint whose keys/shapes differ from the model (matching weights only)')
    return p.parse_args()


def num_classes_of(data_root, given):
    """Classes incl. background: --num-classes, else the dataset's meta.json / classes.txt, else 21."""
    from mmwsss.datasets.classes import num_classes_at
    return num_classes_at(data_root, given)


def main():
    args = parse_args()
    from mmwsss.utils import apply_patches
    apply_patches()  # opt in: runner checkpoints under torch's weights_only loading, ...
    import mmwsss.seg  # noqa: F401  (registers VGG16LargeFOV, CAMClassifier, ...)
    from mmseg.registry import MODELS

    from mmwsss.models.segmentors import CAMSaliency
    from mmwsss.stages.sec_cues import ImageLabelSet, generate_sec_cues, train_multilabel
    from mmwsss.datasets.sec_cues import save_sec_cue_file, write_input_list
    from mmwsss.datasets.splits import read_split
    from mmwsss.datasets.voc import read_cls_label_file
    from mmwsss.utils import atomic_write

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.preset == 'synthetic' and not osp.isfile(osp.join(args.data_root, args.ann_file)):
        from mmwsss.datasets.synthetic import ensure_synthetic_dataset
        ensure_synthetic_dataset(args.data_root)
    work_dir = args.work_dir or osp.join('work_dirs', f'sec_cues_{args.preset}')
    out_dir = args.out_dir or osp.join(args.data_root, 'sec_cues')
    cue_file = osp.join(out_dir, 'localization_cues.pickle.gz')
    if osp.isfile(cue_file) and osp.isfile(osp.join(out_dir, 'input_list.txt')) and not args.overwrite:
        print(f'{cue_file} exists; nothing to do (--overwrite to regenerate)')
        return
    os.makedirs(work_dir, exist_ok=True)
    torch.manual_seed(args.seed)

    names = read_split(osp.join(args.data_root, args.ann_file))
    num_classes = num_classes_of(args.data_root, args.num_classes)
    fg_cfg, bg_cfg, data_cfg, cfg = cue_models(args.config or PRESETS[args.preset], num_classes, args.pretrained,
                                               args.backbone_width)
    for k in ('iters', 'step', 'lr', 'batch_size'):
        if getattr(args, k) is not None:
            cfg[k] = getattr(args, k)
    labels = read_cls_label_file(osp.join(args.data_root, args.cls_file), num_classes - 1)
    missing = [n for n in names if n not in labels]
    if missing:
        raise ValueError(f'{osp.join(args.data_root, args.cls_file)}: no labels for {len(missing)} images, '
                         f'e.g. {missing[:3]}')
    img_paths = [osp.join(args.data_root, 'JPEGImages', n + '.jpg') for n in names]
    fg_labels = [labels[n] for n in names]
    size = (data_cfg['size'], data_cfg['size'])
    common = dict(num_fg=num_classes - 1, size=size, mean=data_cfg['mean'], std=data_cfg['std'],
                  to_rgb=data_cfg['to_rgb'])
    train_set = ImageLabelSet(img_paths, fg_labels, flip=True, **common)
    log = open(osp.join(work_dir, 'make_cues.log'), 'a')

    def logger(msg):
        print(msg)
        log.write(msg + '\n')
        log.flush()

    cam_model = MODELS.build(fg_cfg)
    from mmwsss.utils.checkpoint import CheckpointMismatchError, load_checkpoint_strict
    if args.fg_checkpoint:
        # the preprocessor's mean/std buffers are not weights (ImageLabelSet normalises), and a WOoDClassifier
        # checkpoint also holds its prototypes (buffers the plain CAMClassifier has not)
        load_checkpoint_strict(cam_model, args.fg_checkpoint, allow_partial=args.allow_partial,
                               ignore=(r'data_preprocessor\.', r'(class|ood)_prototypes$', r'prototypes_ready$'))
        logger(f'fg_cam: weights from {args.fg_checkpoint}')
        with atomic_write(osp.join(work_dir, 'fg_cam.pth')) as f:
            torch.save(cam_model.state_dict(), f)
    if args.bg_from_fg and args.bg_checkpoint:
        raise ValueError('--bg-checkpoint and --bg-from-fg exclude each other (the bg saliency comes from one net)')
    if args.bg_from_fg:
        sal_model = CAMSaliency(cam_model, bg_cfg['saliency_index'])
    else:
        sal_model = MODELS.build(bg_cfg)
    if args.bg_checkpoint:
        # strict: every weight of the saliency classifier from the checkpoint (the preprocessor's mean/std are
        # not weights: ImageLabelSet normalises)
        load_checkpoint_strict(sal_model, args.bg_checkpoint, allow_partial=args.allow_partial,
                               ignore=(r'data_preprocessor\.', ))
        logger(f'bg_saliency: weights from {args.bg_checkpoint}')
        with atomic_write(osp.join(work_dir, 'bg_saliency.pth')) as f:
            torch.save(sal_model.state_dict(), f)
    nets = [('fg_cam', cam_model, lambda m: m.forward_logits)]
    if not args.bg_from_fg:
        nets.append(('bg_saliency', sal_model, lambda m: m.forward_logits))
    for name, model, fn in nets:
        ckpt = osp.join(work_dir, f'{name}.pth')
        if osp.isfile(ckpt):
            try:
                load_checkpoint_strict(model, ckpt)
            except CheckpointMismatchError as err:
                raise CheckpointMismatchError(f'{err}; or delete {ckpt} to retrain it') from None
            logger(f'{name}: loaded {ckpt} (delete it to retrain)')
            continue
        model.init_weights()
        model.train()
        t0 = time.time()
        logger(f'{name}: training {cfg["iters"]} iters, batch {cfg["batch_size"]}, lr {cfg["lr"]} '
               f'(x0.1 every {cfg["step"]})')
        losses = train_multilabel(fn(model), model.parameters(), train_set, cfg['iters'], cfg['batch_size'],
                                  cfg['lr'], cfg['step'], seed=args.seed, logger=logger)
        logger(f'{name}: done in {time.time() - t0:.0f}s, final loss {np.mean(losses[-20:]):.4f}')
        with atomic_write(ckpt) as f:
            torch.save(model.state_dict(), f)
    cam_model.eval()
    sal_model.eval()

    gt_paths = [osp.join(args.data_root, 'SegmentationClass', n + '.png') for n in names]
    have_gt = all(osp.isfile(p) for p in gt_paths)
    test_set = ImageLabelSet(img_paths, fg_labels, flip=False, **common)
    # per-image cue parts (resumable; assembled into the one cue file below), tied to the nets and settings
    from mmwsss.utils import claim_output_dir, file_identity
    parts_dir = osp.join(work_dir, 'cue_parts')
    stamp = dict(tool='make_cues', fg=file_identity(args.fg_checkpoint or osp.join(work_dir, 'fg_cam.pth')),
                 bg='fg' if args.bg_from_fg else file_identity(args.bg_checkpoint
                                                               or osp.join(work_dir, 'bg_saliency.pth')),
                 ann_file=osp.abspath(osp.join(args.data_root, args.ann_file)),
                 cls_file=osp.abspath(osp.join(args.data_root, args.cls_file)), data=data_cfg,
                 fg_thr=args.fg_thr, bg_frac=args.bg_frac, fg_conflict=args.fg_conflict,
                 gen_batch_size=args.gen_batch_size)
    try:
        claim_output_dir(parts_dir, stamp, resume=not args.overwrite, suffix='.npz')
    except ValueError:  # parts of other nets or settings: a cache of this work dir, recomputed
        logger(f'{parts_dir}: discarding cue parts of another run')
        claim_output_dir(parts_dir, stamp, resume=False, suffix='.npz')
    cues, quality, grid = generate_sec_cues(cam_model, sal_model, test_set, names, fg_thr=args.fg_thr,
                                            bg_frac=args.bg_frac, fg_conflict=args.fg_conflict,
                                            gt_paths=gt_paths if have_gt else None,
                                            batch_size=args.gen_batch_size, parts_dir=parts_dir)
    save_sec_cue_file(cue_file, cues)
    write_input_list(osp.join(out_dir, 'input_list.txt'), names)
    logger(f'wrote {cue_file} and input_list.txt ({len(names)} images, cue grid {grid[0]}x{grid[1]})')
    if quality is not None:
        logger(quality.format())
    log.close()


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
