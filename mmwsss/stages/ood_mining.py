"""Hard OoD mining: rank candidate images without target classes by a trained classifier's scores.

The W-OoD paper builds its hard OoD set from images rejected as containing no class of the dataset, ranked by the
in-distribution classifier's prediction score (likely false positives such as rails for "train" or water for
"boat"), then pruned by hand (W-OoD run_sample.py). :func:`score_images` scores a candidate pool with a
:class:`~mmwsss.models.segmentors.CAMClassifier` and :func:`select_hard` picks the hardest ones.
"""
from typing import List, Sequence

import numpy as np
import torch

from .base import read_rgb

__all__ = ['score_images', 'select_hard']


@torch.no_grad()
def score_images(model, paths: Sequence[str], progress: bool = True) -> np.ndarray:
    """Sigmoid class scores of each image at its own size (no flip, one scale).

    Args:
        model: a CAM classifier in eval mode (``forward_logits``; its data preprocessor decides the normalisation).
        paths: image files.
        progress: show a progress bar.

    Returns:
        np.ndarray: (N, C_fg) float32 scores in [0, 1].

    Raises:
        FileNotFoundError: an image cannot be read (the message names it).
    """
    from .cam import image_to_input
    bar = None
    if progress and len(paths):
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(paths))
    out = []
    for path in paths:
        img = read_rgb(path)
        out.append(torch.sigmoid(model.forward_logits(image_to_input(model, img)))[0].cpu().numpy())
        if bar is not None:
            bar.update()
    return np.stack(out).astype(np.float32) if out else np.zeros((0, model.num_fg), np.float32)


def select_hard(scores: np.ndarray, num: int, mode: str = 'per_class') -> List[int]:
    """Indices of the ``num`` hardest candidates.

    Args:
        scores: (N, C) class scores of the candidates.
        num: how many to keep.
        mode: ``'per_class'``: classes take turns, each taking its highest-scored candidate not yet taken
            (a class-balanced set, so a class with weak false positives still gets its hardest ones);
            ``'max'``: the ``num`` candidates with the highest score over all classes.

    Returns:
        list: ``num`` distinct indices in selection order.

    Raises:
        ValueError: ``num`` is not in [1, N] or ``mode`` is unknown.
    """
    scores = np.asarray(scores, np.float64)
    if scores.ndim != 2:
        raise ValueError(f'scores must be (N, C), got shape {scores.shape}')
    n, c = scores.shape
    if not 1 <= num <= n:
        raise ValueError(f'cannot select {num} of {n} candidates')
    if mode == 'max':
        return [int(i) for i in np.argsort(-scores.max(1), kind='stable')[:num]]
    if mode != 'per_class':
        raise ValueError(f"mode must be 'per_class' or 'max', got {mode!r}")
    orders = [np.argsort(-scores[:, k], kind='stable') for k in range(c)]
    pos = [0] * c
    taken, chosen = np.zeros(n, bool), []
    while len(chosen) < num:
        for k in range(c):
            while taken[orders[k][pos[k]]]:
                pos[k] += 1
            i = int(orders[k][pos[k]])
            taken[i] = True
            chosen.append(i)
            if len(chosen) == num:
                break
    return chosen
