"""Config loading shared by the command-line tools."""
import os.path as osp
from typing import Optional

__all__ = ['load_tool_config']


def load_tool_config(config: str, cfg_options: Optional[dict] = None, work_dir: Optional[str] = None,
                     launcher: str = 'none'):
    """Load a config the way mmseg/mmdet tools do, after applying mmwsss's compatibility patches.

    ``work_dir`` precedence: argument > config > ``./work_dirs/<config name>``.
    """
    from mmengine.config import Config

    from .compat import apply_patches
    apply_patches()
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg
