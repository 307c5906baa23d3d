"""Mine hard OoD images: rank a pool of candidate images (no target class) by a trained classifier's scores and
write the hardest ones as an ``ood_list.txt`` (docs/implementation.md, "Hard OoD mining").

    python tools/wood/mine_hard_ood.py configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py work_dirs/cam_r18-d8_1xb8-2k_synthetic-112x112/iter_2000.pth \
        --pool-root data/ood_pool/ood_images --pool-list data/ood_pool/ood_list.txt --num 150 \
        --out data/ood_pool/ood_list_hard.txt

The written list is relative to ``--pool-root``: use it as ``ood_list`` with ``ood_root`` = the pool root.
Without ``--num`` it only prints the pool's class scores, which is how a trained W-OoD classifier's scores on its
own OoD images are read.
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def parse_args():
    p = argparse.ArgumentParser(description='Rank candidate OoD images by a classifier and keep the hardest')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--pool-root', required=True, help='folder of the candidate images')
    p.add_argument('--pool-list', default=None,
                   help='ood_list-style file of candidates relative to --pool-root (default: every image there)')
    p.add_argument('--num', type=int, default=None, help='how many to keep')
    p.add_argument('--mode', choices=['per_class', 'max'], default='per_class')
    p.add_argument('--out', default=None, help='output list file (required with --num)')
    p.add_argument('--scores-out', default=None, help='JSON with every candidate\'s scores')
    p.add_argument('--device', default='cpu')
    p.add_argument('--allow-partial', action='store_true',
                   help='load a checkpoint whose keys/shapes differ from the model (matching weights only)')
    return p.parse_args()


def main():
    args = parse_args()
    from mmwsss.utils import apply_patches
    apply_patches()  # opt in: runner checkpoints under torch's weights_only loading, ...
    import numpy as np
    from mmwsss.utils.config import config_class_names, load_config

    from mmwsss.apis import init_model

    from mmwsss.stages.ood_mining import score_images, select_hard
    from mmwsss.datasets.ood import list_ood_images
    from mmwsss.utils import atomic_write
    if args.num is not None and not args.out:
        raise SystemExit('--num needs --out')
    if args.pool_list:
        paths = list_ood_images(None, args.pool_list, args.pool_root)
    else:
        if not osp.isdir(args.pool_root):
            raise SystemExit(f'{args.pool_root}: candidate folder not found')
        paths = [osp.join(args.pool_root, f) for f in sorted(os.listdir(args.pool_root))
                 if f.lower().endswith(('.jpg', '.jpeg', '.png'))]
        if not paths:
            raise SystemExit(f'{args.pool_root}: no .jpg/.png images')
    cfg = load_config(args.config)
    model = init_model(cfg, args.checkpoint, args.device, allow_partial=args.allow_partial)
    scores = score_images(model, paths)
    classes = list(config_class_names(cfg) or [str(i) for i in range(model.num_classes)])[1:]

    def summary(idx, title):
        s = scores[idx]
        print(f'{title} ({len(idx)} images): mean score / share > 0.5 per class')
        for k, name in enumerate(classes):
            print(f'  {name:12s} {s[:, k].mean():.3f} / {(s[:, k] > 0.5).mean() * 100:.1f} %')

    summary(np.arange(len(paths)), '\npool')
    names = [osp.relpath(p, args.pool_root) for p in paths]
    if args.num is not None:
        chosen = select_hard(scores, args.num, args.mode)
        summary(np.array(chosen), 'selected')
        with atomic_write(args.out, 'w') as f:
            f.write(''.join(names[i] + '\n' for i in sorted(chosen)))
        print(f'wrote {len(chosen)} names to {args.out}')
    if args.scores_out:
        with atomic_write(args.scores_out, 'w') as f:
            json.dump(dict(classes=classes, scores={n: [round(float(v), 4) for v in s]
                                                    for n, s in zip(names, scores)}), f)


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
