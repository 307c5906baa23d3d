"""BESTIE point files: one ``x y cls conf`` line per point (``cls`` a 0-based foreground class).

The format of BESTIE's ``Center_points/<id>.txt`` (instance centres) and ``Peak_points/<id>.txt`` (PAM peaks);
a line with three values is a point of confidence 1.
"""
import os
from typing import Optional, Sequence

import numpy as np

from ..utils.io import atomic_write

__all__ = ['read_points', 'write_points']


def write_points(path: str, points: Sequence[Sequence[float]]) -> None:
    """Write ``x y cls conf`` lines (``%d %d %d %.3f``) atomically."""
    lines = ''.join('%d %d %d %.3f\n' % (int(p[0]), int(p[1]), int(p[2]), float(p[3])) for p in points)
    with atomic_write(path, 'w') as f:
        f.write(lines)


def read_points(path: str, conf_thr: Optional[float] = None, num_classes: Optional[int] = None) -> np.ndarray:
    """Read a BESTIE point file.

    Args:
        path: ``Peak_points/<id>.txt`` or ``Center_points/<id>.txt``.
        conf_thr: Keep only points with conf > this (0.7 for PAM peaks, BESTIE PAM/models/classifier.py).
        num_classes: Validate 0 <= cls < num_classes.

    Returns:
        np.ndarray: (N, 4) float32 ``x, y, cls, conf``.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{path}: point file not found')
    rows = []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) not in (3, 4):
                raise ValueError(f'{path}:{ln}: expected "x y cls conf", got {line.strip()!r}')
            try:
                vals = [float(v) for v in parts] + ([1.0] if len(parts) == 3 else [])
            except ValueError:
                raise ValueError(f'{path}:{ln}: non-numeric value in {line.strip()!r}') from None
            if num_classes is not None and not 0 <= int(vals[2]) < num_classes:
                raise ValueError(f'{path}:{ln}: class {int(vals[2])} outside 0..{num_classes - 1}')
            rows.append(vals)
    arr = np.asarray(rows, np.float32).reshape(-1, 4)
    if conf_thr is not None:
        arr = arr[arr[:, 3] > conf_thr]
    return arr
