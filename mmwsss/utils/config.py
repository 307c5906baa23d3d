"""Config loading shared by the command-line tools."""
import os.path as osp
from typing import Optional

__all__ = ['load_tool_config', 'known_top_level_keys']

# top-level keys that mmengine's Runner or the mmwsss tools read even when a config leaves them out
RUNNER_KEYS = ('model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg', 'val_cfg',
               'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
               'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher', 'env_cfg',
               'log_processor', 'log_level', 'visualizer', 'default_scope', 'randomness', 'experiment_name',
               'runner_type', 'model_wrapper_cfg', 'custom_imports', 'compile', 'strategy', 'tta_model',
               'tta_pipeline')
TOOL_KEYS = ('class_names', 'num_classes', 'crf_preset', 'crf_backend', 'ms_scales', 'random_walk', 'peak_cfg')


def known_top_level_keys(cfg) -> set:
    """What ``--cfg-options`` may set at the top level: the config's keys and those the runner/tools read."""
    return set(cfg.keys()) | set(RUNNER_KEYS) | set(TOOL_KEYS)


def load_tool_config(config: str, cfg_options: Optional[dict] = None, work_dir: Optional[str] = None,
                     launcher: str = 'none'):
    """Load a config the way mmseg/mmdet tools do, after applying mmwsss's compatibility patches.

    ``work_dir`` precedence: argument > config > ``./work_dirs/<config name>``.

    Raises:
        FileNotFoundError: No config file.
        UnknownConfigKeyError: A ``cfg_options`` key starts with a top-level key that the config does not have
            and neither the runner nor a tool reads (a typo such as ``trian_cfg.max_iters`` would otherwise be
            ignored and the full schedule run).
    """
    from mmengine.config import Config

    from .compat import apply_patches
    from .cli import check_cfg_options
    apply_patches()
    if not osp.isfile(config):
        raise FileNotFoundError(f'{config}: config file not found')
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        check_cfg_options(cfg_options, known_top_level_keys(cfg), config)
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg
