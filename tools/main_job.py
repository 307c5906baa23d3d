"""The main job on the embedded dataset: train and evaluate the fully-supervised upper bound.

Generates the embedded dataset on first use, trains the shared small model with the shared short
schedule, evaluates it on the val split and prints the mIoU. A finished work dir is reused.

Usage: python tools/main_job.py [--work-dir work_dirs/main_job] [--cfg-options ...]
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmwsss.utils.compat import apply_patches, cpu_dist_cfg  # noqa: E402

CONFIG = 'configs/fully_supervised/deeplabv3_r18-d8_synthetic.py'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--work-dir', default='work_dirs/main_job/fully_supervised')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    apply_patches()
    root = osp.join(osp.dirname(osp.abspath(__file__)), '..')
    cfg = Config.fromfile(osp.join(root, args.config) if not osp.isabs(args.config) else args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    cpu_dist_cfg(cfg)
    final = osp.join(args.work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')
    if osp.isfile(final):
        cfg.load_from = final
        runner = Runner.from_cfg(cfg)
        metrics = runner.test()
    else:
        cfg.resume = True  # a killed main job continues from its last checkpoint
        runner = Runner.from_cfg(cfg)
        runner.train()
        metrics = runner.test()
    result = dict(config=args.config, checkpoint=final, **{k: float(v) for k, v in metrics.items()})
    with open(osp.join(args.work_dir, 'main_job_result.json'), 'w') as f:
        json.dump(result, f, indent=2)
    print(f"[main job] fully-supervised upper bound on the embedded dataset: mIoU = {metrics['mIoU']:.2f} "
          f"(config {args.config}, result in {args.work_dir}/main_job_result.json)")


if __name__ == '__main__':
    main()
