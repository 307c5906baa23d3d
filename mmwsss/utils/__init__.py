from .compat import apply_patches
from .config import load_tool_config
from .io import (RUN_STAMP, atomic_replace_dir, atomic_save_npy, atomic_save_png, atomic_write, claim_output_dir,
                 file_identity, file_lock, read_run_stamp)
from .preprocess import normalize_like_preprocessor, swaps_channels

__all__ = ['atomic_write', 'atomic_save_png', 'atomic_save_npy', 'claim_output_dir', 'file_identity', 'read_run_stamp',
           'RUN_STAMP', 'file_lock', 'atomic_replace_dir', 'apply_patches', 'load_tool_config', 'normalize_like_preprocessor', 'swaps_channels']
