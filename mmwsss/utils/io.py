"""Crash-safe file writing: a killed run never leaves a half-written output."""
import io
import os
import tempfile
from contextlib import contextmanager
from typing import Iterator, Union

import numpy as np

__all__ = ['atomic_write', 'atomic_save_png', 'atomic_save_npy']


@contextmanager
def atomic_write(path: Union[str, os.PathLike], mode: str = 'wb') -> Iterator[io.IOBase]:
    """Open a temporary file next to ``path`` and move it over ``path`` on success.

    ``os.replace`` is atomic on POSIX within one file system, so readers see either the old
    file or the complete new one; on an exception the temporary file is removed.

    Args:
        path: Destination file.
        mode: ``'wb'`` or ``'w'``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.', suffix='.tmp')
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_save_png(path: Union[str, os.PathLike], label: np.ndarray, palette=None) -> None:
    """Write a uint8 label map as PNG atomically (optionally with a palette).

    Args:
        path: Destination ``.png``.
        label: (H, W) integer array with values in [0, 255].
        palette: Optional flat list of 768 ints (a VOC-style palette PNG is written).
    """
    from PIL import Image
    label = np.asarray(label)
    if label.ndim != 2:
        raise ValueError(f'{path}: a label map must be 2-D, got shape {label.shape}')
    if label.size and (label.min() < 0 or label.max() > 255):
        raise ValueError(f'{path}: label values must lie in [0, 255], got [{label.min()}, {label.max()}]')
    img = Image.fromarray(label.astype(np.uint8), mode='P' if palette is not None else 'L')
    if palette is not None:
        img.putpalette(palette)
    buf = io.BytesIO()
    img.save(buf, format='PNG')
    with atomic_write(path) as f:
        f.write(buf.getvalue())


def atomic_save_npy(path: Union[str, os.PathLike], array: np.ndarray) -> None:
    """Write an array with ``np.save`` atomically."""
    buf = io.BytesIO()
    np.save(buf, array)
    with atomic_write(path) as f:
        f.write(buf.getvalue())
