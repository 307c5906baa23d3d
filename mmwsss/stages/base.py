"""The loop every per-image offline stage shares: one output file per image id, resumable.

A stage describes what it computes for one id (``compute``) and how the result is stored (``save``, an atomic
writer such as :func:`mmwsss.utils.atomic_save_png`); :func:`run_per_image` does the rest:

1. claim the output folder: with a run ``stamp`` (the inputs' identity: checkpoint, settings, upstream
   folders' stamps) :func:`mmwsss.utils.claim_output_dir` refuses a folder made from other inputs and, without
   ``resume``, deletes the old outputs;
2. skip ids whose output exists (``resume``);
3. compute the others and write each atomically, so a killed run leaves only complete files;
4. tick a progress bar.
"""
import os
import os.path as osp
from typing import Any, Callable, Dict, Optional, Sequence

__all__ = ['run_per_image', 'read_rgb']


def run_per_image(ids: Sequence[str],
                  out_dir: str,
                  suffix: str,
                  compute: Callable[[str], Any],
                  save: Callable[[str, Any], None],
                  resume: bool = True,
                  stamp: Optional[dict] = None,
                  progress: bool = True) -> Dict[str, int]:
    """Write ``<out_dir>/<id><suffix>`` for every id.

    Args:
        ids: Image ids, in processing order.
        out_dir: Output folder (created).
        suffix: Output extension, e.g. ``'.png'``.
        compute: ``compute(id)`` -> the result to store.
        save: ``save(path, result)``; must write atomically.
        resume: Keep outputs that exist.
        stamp: Run stamp of the inputs (see :func:`mmwsss.utils.claim_output_dir`); ``None``: the caller has
            claimed the folder (or needs no stamp).
        progress: Show a progress bar.

    Returns:
        dict: ``written`` and ``skipped`` counts.
    """
    from mmengine.utils import ProgressBar

    from ..utils.io import claim_output_dir
    if stamp is not None:
        claim_output_dir(out_dir, stamp, resume=resume, suffix=suffix)
    else:
        os.makedirs(out_dir, exist_ok=True)
    bar = ProgressBar(len(ids)) if progress else None
    written = skipped = 0
    for name in ids:
        out = osp.join(out_dir, name + suffix)
        if resume and osp.isfile(out):
            skipped += 1
        else:
            save(out, compute(name))
            written += 1
        if bar is not None:
            bar.update()
    return dict(written=written, skipped=skipped)


def read_rgb(path: str):
    """An image file as a contiguous (H, W, 3) uint8 RGB array (cv2 decoding); a missing or unreadable file is a
    ``FileNotFoundError`` naming it."""
    import cv2
    import numpy as np
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f'{path}: image not found or unreadable')
    return np.ascontiguousarray(img[..., ::-1])
