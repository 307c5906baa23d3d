from .config import load_tool_config
from .io import atomic_save_npy, atomic_save_png, atomic_write
from .preprocess import normalize_like_preprocessor, swaps_channels

__all__ = ['atomic_write', 'atomic_save_png', 'atomic_save_npy', 'load_tool_config', 'normalize_like_preprocessor',
           'swaps_channels']
