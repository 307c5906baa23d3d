"""Generate the embedded synthetic weak-supervision dataset and print its statistics.

Usage::

    python tools/dataset_converters/make_synthetic.py data/synthetic [--seed 0] [--image-size 128]
        [--num-train 400] [--num-val 100] [--num-web-per-class 40] [--num-ood 150]
        [--void-border 1] [--overwrite]

Without ``--overwrite`` an existing dataset with the same parameters is kept (only the summary is
printed); a directory that is not a generated dataset is never touched. See
``docs/synthetic_dataset.md``.
"""
import argparse
import math
import os
import sys
from typing import Dict, List, Optional

try:
    from mmwsss.datasets.synthetic import (CLASS_CONTEXT, SYNTH_CLASSES, ensure_synthetic_dataset,
                                           generate_synthetic_dataset, summarize_dataset)
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))
    from mmwsss.datasets.synthetic import (CLASS_CONTEXT, SYNTH_CLASSES, ensure_synthetic_dataset,
                                           generate_synthetic_dataset, summarize_dataset)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description='Generate the mmwsss synthetic weak-supervision dataset.')
    p.add_argument('data_root', help='output directory (created; must be empty or a generated dataset)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--image-size', type=int, default=128)
    p.add_argument('--num-train', type=int, default=400)
    p.add_argument('--num-val', type=int, default=100)
    p.add_argument('--num-web-per-class', type=int, default=40)
    p.add_argument('--num-ood', type=int, default=150)
    p.add_argument('--void-border', type=int, default=1)
    p.add_argument('--overwrite', action='store_true', help='replace an existing generated dataset')
    p.add_argument('--quiet', action='store_true', help='no per-part progress lines')
    p.add_argument('--pretrain', action='store_true',
                   help="generate the pretraining stand-in instead (uses --seed, --image-size, --num-per-class)")
    p.add_argument('--num-per-class', type=int, default=200, help='--pretrain: images per class')
    return p.parse_args(argv)


def format_summary(s: Dict) -> str:
    """Human-readable table of :func:`summarize_dataset` output."""
    lines = [f"images: {', '.join(f'{k} {v}' for k, v in s['images'].items())}",
             f"mean objects per image: {s['mean_objects']:.2f}; images with >= 2 classes: "
             f"{100 * s['multi_class_fraction']:.1f} %",
             '', f"{'class':<10} {'images':>7} {'instances':>9}"]
    for name in SYNTH_CLASSES[1:]:
        lines.append(f"{name:<10} {s['class_images'][name]:>7} {s['class_instances'][name]:>9}")
    ctxs = sorted(set(CLASS_CONTEXT.values()), key=list(CLASS_CONTEXT.values()).index)
    lines += ['', 'context co-occurrence: P(context | class present) / P(context | class absent)',
              f"{'class':<10} " + ' '.join(f'{c:>13}' for c in ctxs)]

    def fmt(v):
        return '  nan' if math.isnan(v) else f'{v:5.2f}'

    for name in SYNTH_CLASSES[1:]:
        cells = [f"{fmt(s['context'][f'{c}|{name}']['with'])} / {fmt(s['context'][f'{c}|{name}']['without'])}"
                 for c in ctxs]
        lines.append(f'{name:<10} ' + ' '.join(f'{x:>13}' for x in cells))
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.pretrain:
        from mmwsss.datasets.synthetic import ensure_pretrain_dataset, generate_pretrain_dataset
        kw = dict(seed=args.seed, image_size=args.image_size, num_per_class=args.num_per_class)
        gen = generate_pretrain_dataset if args.overwrite else ensure_pretrain_dataset
        extra = dict(overwrite=True) if args.overwrite else {}
        print(f'dataset: {gen(args.data_root, verbose=not args.quiet, **kw, **extra)}')
        return 0
    kw = dict(seed=args.seed, image_size=args.image_size, num_train=args.num_train, num_val=args.num_val,
              num_web_per_class=args.num_web_per_class, num_ood=args.num_ood, void_border=args.void_border)
    if args.overwrite:
        root = generate_synthetic_dataset(args.data_root, overwrite=True, verbose=not args.quiet, **kw)
    else:
        root = ensure_synthetic_dataset(args.data_root, verbose=not args.quiet, **kw)
    print(f'dataset: {root}')
    print(format_summary(summarize_dataset(root)))
    return 0


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main
    sys.exit(tool_main(main)())
