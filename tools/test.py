"""Test (and evaluate) a checkpoint of any mmwsss config.

Follows mmseg ``tools/test.py``. ``--tta`` uses the config's ``tta_model``/``tta_pipeline``;
``--crf [PRESET]`` adds dense-CRF post-processing after softmax and upsampling (combinable with
``--tta``); ``--ms`` is multi-scale testing without flip at the config's ``ms_scales``.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from mmengine.config import ConfigDict, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmwsss.utils.compat import close_dist, cpu_dist_cfg  # noqa: E402
from mmwsss.utils.config import load_tool_config  # noqa: E402
from mmwsss.utils.process import exit_with_parent, launched_by_torchrun  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument('--out', type=str, help='dir to save the predictions (PNG label maps)')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='dir to save painted predictions')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation (tta_model/tta_pipeline)')
    parser.add_argument('--ms', action='store_true',
                        help='multi-scale test without flip at cfg.ms_scales (wsscoseg style)')
    parser.add_argument('--crf', nargs='?', const='default', default=None, metavar='PRESET',
                        help='dense-CRF post-processing; PRESET defaults to cfg.crf_preset or sec_test')
    parser.add_argument('--metrics-out', help='write the evaluation metrics to this JSON file')
    parser.add_argument('--allow-partial', action='store_true',
                        help='load a checkpoint whose keys/shapes differ from the model (matching weights only; '
                        'default: such a checkpoint is an error)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value (xxx=yyy format)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg, args):
    default_hooks = cfg.default_hooks
    if 'visualization' in default_hooks:
        hook = default_hooks['visualization']
        hook['draw'] = True
        if args.show:
            hook['show'] = True
            hook['wait_time'] = args.wait_time
        if args.show_dir:
            visualizer = cfg.visualizer
            visualizer['save_dir'] = args.show_dir
    else:
        raise RuntimeError('VisualizationHook must be included in default_hooks; see '
                           'configs/_base_/default_runtime.py')
    return cfg


def set_tta(cfg, scales=None, flip=True):
    """Switch the test pipeline and model to test-time augmentation."""
    if 'tta_pipeline' not in cfg or 'tta_model' not in cfg:
        raise KeyError(f'{cfg.filename}: --tta/--ms need tta_pipeline and tta_model in the config')
    pipeline = cfg.tta_pipeline
    if scales is not None:
        pipeline = build_ms_pipeline(pipeline, scales, flip)
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:  # wrapped test sets (RepeatDataset, ...)
        dataset = dataset['dataset']
    dataset.pipeline = pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def build_ms_pipeline(tta_pipeline, scales, flip):
    """Rewrite the TestTimeAug of ``tta_pipeline`` to the given scale factors (and flip or not)."""
    pipeline = [dict(t) for t in tta_pipeline]
    for t in pipeline:
        if t['type'] == 'TestTimeAug':
            transforms = [list(group) for group in t['transforms']]
            transforms[0] = [dict(type='Resize', scale_factor=s, keep_ratio=True) for s in scales]
            if not flip:
                transforms = [g for g in transforms
                              if not all(tr.get('type') == 'RandomFlip' for tr in g)]
            t['transforms'] = transforms
    return pipeline


def main():
    args = parse_args()
    if args.launcher == 'pytorch' and launched_by_torchrun():
        exit_with_parent()  # a torchrun killed with -9 cannot stop its workers; the kernel then does
    cfg = load_tool_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    # loaded below, strictly: a checkpoint of another model must not run half-random
    cfg.load_from = None
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta and args.ms:
        raise ValueError('use either --tta (config TTA) or --ms (multi-scale without flip)')
    if args.tta:
        set_tta(cfg)
    elif args.ms:
        set_tta(cfg, scales=cfg.get('ms_scales', (0.7, 1.0, 1.3)), flip=False)
    if args.crf is not None:
        preset = cfg.get('crf_preset', 'sec_test') if args.crf == 'default' else args.crf
        cfg.model = ConfigDict(type='CRFPostProcessor', module=cfg.model, preset=preset)
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    cpu_dist_cfg(cfg)
    runner = Runner.from_cfg(cfg)
    from mmwsss.utils.checkpoint import runner_load_strict
    runner_load_strict(runner, args.checkpoint, allow_partial=args.allow_partial)
    metrics = runner.test()
    del runner
    close_dist()
    if args.metrics_out:
        import json

        from mmwsss.utils import atomic_write
        with atomic_write(args.metrics_out, 'w') as f:
            json.dump({k: v.item() if hasattr(v, 'item') else v for k, v in metrics.items()}, f, indent=2)


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
