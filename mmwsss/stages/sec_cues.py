"""SEC localization-cue generation (SEC training/localization_cues), which the original never released.

Two classifiers are trained from image-level labels only:

- foreground: a CAM classifier (``CAMClassifier``: backbone + GAP + bias-free 1x1); cue of a
  *present* class c = {CAM_c > 0.2 * max CAM_c} on the output-stride-8 grid (SEC weak-localization/foreground);
- background: a plain multi-label classifier whose saliency is max_channels |d(sum of scores)/d(feature)|
  at the stride-8 feature, 3x3 median filtered; background cue = the lowest 10% (SEC weak-localization/background).

Merge rule (SEC training/localization_cues is unpublished; our choice, docs/implementation.md): foreground beats
background; a pixel claimed by several foreground classes is dropped (``fg_conflict='drop'``) or given to the class
with the highest max-normalised CAM (``'max'``).
"""
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'fg_cues_from_cams', 'bg_cues_from_saliency', 'merge_cues', 'CueQuality', 'ImageLabelSet', 'train_multilabel',
    'cam_of', 'write_cue_parts', 'generate_sec_cues', 'read_gt'
]


def fg_cues_from_cams(cams: np.ndarray, fg_labels: Iterable[int], thr: float = 0.2) -> np.ndarray:
    """Foreground cues: CAM_c > thr * max CAM_c, only for the present classes (SEC weak-localization/foreground).

    Args:
        cams: (C_fg, h, w) class activation maps (foreground classes only).
        fg_labels: present classes as 1-based indices (1..C_fg).
        thr: Fraction of each map's maximum.

    Returns:
        np.ndarray: (C_fg + 1, h, w) bool; channel 0 (background) empty.
    """
    cams = np.asarray(cams, dtype=np.float64)
    out = np.zeros((cams.shape[0] + 1, ) + cams.shape[1:], dtype=bool)
    for c in fg_labels:
        if not 1 <= c <= cams.shape[0]:
            raise ValueError(f'foreground label {c} outside 1..{cams.shape[0]}')
        cam = cams[c - 1]
        peak = cam.max()
        if peak > 0:  # a class with a non-positive map has no evidence anywhere: no cue
            out[c] = cam > thr * peak
    return out


def bg_cues_from_saliency(saliency: np.ndarray, frac: float = 0.1) -> np.ndarray:
    """Background cues: positions below the value at index floor(frac * n) of the ascending saliency (SEC background).

    Args:
        saliency: (h, w) saliency.
        frac: Fraction of positions (0.1 in SEC: at most 168 of 41x41).

    Returns:
        np.ndarray: (h, w) bool.
    """
    flat = np.sort(np.asarray(saliency).ravel())
    k = min(int(np.floor(frac * flat.size)), flat.size - 1)
    return np.asarray(saliency) < flat[k]


def merge_cues(fg: np.ndarray, bg: np.ndarray, fg_conflict: str = 'drop',
               cams: Optional[np.ndarray] = None) -> np.ndarray:
    """Merge fg and bg cues into one (C, h, w) 0/1 array with no pixel carrying two labels.

    Foreground wins over background. Pixels claimed by >= 2 foreground classes are dropped
    (``'drop'``) or assigned to the class with the highest max-normalised CAM (``'max'``, needs ``cams``).

    Args:
        fg: (C, h, w) bool fg cues (channel 0 unused).
        bg: (h, w) bool bg cues.
        fg_conflict: ``'drop'`` or ``'max'``.
        cams: (C - 1, h, w) CAMs for ``'max'``.

    Returns:
        np.ndarray: (C, h, w) uint8.
    """
    fg = np.asarray(fg, dtype=bool).copy()
    fg[0] = False
    n_fg = fg.sum(0)
    conflict = n_fg > 1
    if conflict.any():
        if fg_conflict == 'drop':
            fg[:, conflict] = False
        elif fg_conflict == 'max':
            if cams is None:
                raise ValueError("fg_conflict='max' needs the CAMs")
            peak = np.maximum(cams.reshape(cams.shape[0], -1).max(1), 1e-12)[:, None, None]
            score = np.concatenate([np.full((1, ) + cams.shape[1:], -np.inf), cams / peak])
            score = np.where(fg, score, -np.inf)
            winner = score.argmax(0)
            keep = np.zeros_like(fg)
            np.put_along_axis(keep, winner[None], True, axis=0)
            fg = np.where(conflict[None], keep & fg, fg)
        else:
            raise ValueError(f"fg_conflict must be 'drop' or 'max', got {fg_conflict!r}")
    out = fg.astype(np.uint8)
    out[0] = np.asarray(bg, dtype=bool) & (fg.sum(0) == 0) & ~conflict
    return out


class CueQuality:
    """Accumulates cue precision and coverage against ground truth on the cue grid.

    The GT map is sampled at the cue-cell centres (the same rule the segmentor uses to read cues).
    precision = cue pixels whose class equals the GT class / cue pixels on non-void GT;
    coverage = cue pixels / grid positions. Reported for all, background and foreground cues.
    """

    def __init__(self):
        self.n = dict(all=0, bg=0, fg=0)
        self.correct = dict(all=0, bg=0, fg=0)
        self.cued = dict(all=0, bg=0, fg=0)
        self.positions = 0

    @staticmethod
    def gt_on_grid(gt: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
        h, w = size
        rows = np.minimum(((np.arange(h) + 0.5) * gt.shape[0] / h).astype(np.int64), gt.shape[0] - 1)
        cols = np.minimum(((np.arange(w) + 0.5) * gt.shape[1] / w).astype(np.int64), gt.shape[1] - 1)
        return gt[rows][:, cols]

    def update(self, dense: np.ndarray, gt: np.ndarray) -> None:
        """dense (C, h, w) 0/1 cues, gt (H, W) label map (255 = void)."""
        g = self.gt_on_grid(np.asarray(gt), dense.shape[1:])
        valid = g != 255
        self.positions += g.size
        for name, chans in (('bg', [0]), ('fg', list(range(1, dense.shape[0])))):
            for c in chans:
                m = dense[c].astype(bool)
                self.cued[name] += int(m.sum())
                self.n[name] += int((m & valid).sum())
                self.correct[name] += int((m & valid & (g == c)).sum())
        for k in ('n', 'correct', 'cued'):
            d = getattr(self, k)
            d['all'] = d['bg'] + d['fg']

    def summary(self) -> Dict[str, float]:
        out = {}
        for name in ('all', 'bg', 'fg'):
            out[f'precision_{name}'] = self.correct[name] / max(self.n[name], 1)
            out[f'coverage_{name}'] = self.cued[name] / max(self.positions, 1)
        return out

    def format(self) -> str:
        s = self.summary()
        return ('cue precision: all {:.1%}  bg {:.1%}  fg {:.1%} | coverage: all {:.1%}  bg {:.1%}  fg {:.1%}'.format(
            s['precision_all'], s['precision_bg'], s['precision_fg'], s['coverage_all'], s['coverage_bg'],
            s['coverage_fg']))


class ImageLabelSet(torch.utils.data.Dataset):
    """Images warped to a fixed size with their image-level labels (SEC's classifier input, SEC train.prototxt;
    foreground).

    Args:
        img_paths: Image files.
        fg_labels: 0-based foreground labels per image.
        num_fg: Number of foreground classes.
        size: (h, w) the images are warped to (aspect ratio not kept).
        mean, std: Normalisation in the channel order given by ``to_rgb``.
        to_rgb: Convert mmcv/cv2's BGR to RGB before normalising.
        flip: Random horizontal flip (training).
    """

    def __init__(self, img_paths: Sequence[str], fg_labels: Sequence[Sequence[int]], num_fg: int,
                 size: Tuple[int, int], mean, std, to_rgb: bool = True, flip: bool = False):
        if len(img_paths) != len(fg_labels):
            raise ValueError(f'{len(img_paths)} images but {len(fg_labels)} label lists')
        self.img_paths, self.fg_labels = list(img_paths), list(fg_labels)
        self.num_fg, self.size, self.to_rgb, self.flip = num_fg, tuple(size), to_rgb, flip
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)

    def __len__(self):
        return len(self.img_paths)

    def load(self, i: int) -> np.ndarray:
        img = cv2.imread(self.img_paths[i], cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(f'{self.img_paths[i]}: cannot read image')
        return img

    def __getitem__(self, i: int):
        img = cv2.resize(self.load(i), (self.size[1], self.size[0]), interpolation=cv2.INTER_LINEAR)
        if self.to_rgb:
            img = img[..., ::-1]
        if self.flip and np.random.rand() < 0.5:
            img = img[:, ::-1]
        x = (img.astype(np.float32) - self.mean) / self.std
        y = np.zeros(self.num_fg, dtype=np.float32)
        y[list(self.fg_labels[i])] = 1.0
        return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1))), torch.from_numpy(y)


def train_multilabel(logits_fn, params, dataset: ImageLabelSet, iters: int, batch_size: int, lr: float,
                     step: int, momentum: float = 0.9, weight_decay: float = 5e-4, seed: int = 0,
                     log_every: int = 50, logger=print) -> List[float]:
    """Train a multi-label classifier with SGD and a step lr (x0.1 every ``step`` iterations), SEC foreground.

    Args:
        logits_fn: (N, 3, H, W) -> (N, C_fg) logits (model in train mode).
        params: Parameters (or param groups) to optimise.
        dataset: Training images and labels.

    Returns:
        list[float]: the loss of every iteration.
    """
    g = torch.Generator().manual_seed(seed)
    np.random.seed(seed)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                                         generator=g, num_workers=0)
    opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step, gamma=0.1)
    losses, it = [], 0
    while it < iters:
        for x, y in loader:
            loss = F.multilabel_soft_margin_loss(logits_fn(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss))
            it += 1
            if log_every and it % log_every == 0:
                logger(f'iter {it}/{iters} loss {np.mean(losses[-log_every:]):.4f} lr {sched.get_last_lr()[0]:.2e}')
            if it >= iters:
                break
    return losses


def cam_of(cam_model, x: Tensor) -> np.ndarray:
    """(N, 3, H, W) -> (N, C_fg, h, w) CAMs (without ReLU, SEC weak-localization/foreground) of a ``CAMClassifier``."""
    with torch.no_grad():
        return cam_model.classifier(cam_model.extract_feat(x)).cpu().numpy()


def _save_part(path: str, part: Tuple[np.ndarray, Tuple[int, int, int]]) -> None:
    """One image's cues ``(3, K)`` and their dense shape ``(C, h, w)`` as ``.npz``, written atomically."""
    import io

    from mmwsss.utils import atomic_write
    buf = io.BytesIO()
    np.savez(buf, cues=part[0], shape=np.asarray(part[1], dtype=np.int64))
    with atomic_write(path) as f:
        f.write(buf.getvalue())


def _load_part(path: str) -> Tuple[np.ndarray, Tuple[int, int, int]]:
    try:
        with np.load(path) as z:
            return z['cues'], tuple(int(v) for v in z['shape'])
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(f'{path}: unreadable cue part ({err}); delete it to recompute') from None


def write_cue_parts(cam_model, sal_model, dataset: ImageLabelSet, names: Sequence[str], parts_dir: str,
                    fg_thr: float = 0.2, bg_frac: float = 0.1, fg_conflict: str = 'drop', resume: bool = True,
                    stamp: Optional[dict] = None, progress: bool = True, batch_size: int = 16) -> Dict[str, int]:
    """Write the cues of every image as ``<parts_dir>/<name>.npz`` (:func:`mmwsss.stages.base.run_per_image`).

    The networks run on batches of ``batch_size`` consecutive images (image i in batch ``i // batch_size``, as an
    uninterrupted run forms them), so a resumed run computes every missing image with the same numbers; the first
    missing image of a batch computes the whole batch.

    Args:
        cam_model, sal_model, dataset, names, fg_thr, bg_frac, fg_conflict, batch_size: see
            :func:`generate_sec_cues`.
        parts_dir: Folder of the per-image parts.
        resume: Keep the parts that exist.
        stamp: Run stamp of the inputs (:func:`mmwsss.utils.claim_output_dir`); ``None``: the caller claimed the
            folder.
        progress: Show a progress bar.

    Returns:
        dict: ``written`` and ``skipped`` counts.
    """
    from mmwsss.datasets.sec_cues import dense_to_cues

    from .base import run_per_image
    if len(names) != len(dataset):
        raise ValueError(f'{len(names)} names for {len(dataset)} images')
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[:3]
        raise ValueError(f'image names repeat (e.g. {dup}): every image needs its own cue part')
    index = {n: i for i, n in enumerate(names)}
    batch: Dict[int, Tuple[np.ndarray, Tuple[int, int, int]]] = {}  # parts of the batch being written

    def compute(name: str) -> Tuple[np.ndarray, Tuple[int, int, int]]:
        i = index[name]
        if i not in batch:
            start = i // batch_size * batch_size
            idx = list(range(start, min(start + batch_size, len(dataset))))
            x = torch.stack([dataset[j][0] for j in idx])
            cams_b = cam_of(cam_model, x)
            sal_b = sal_model.saliency(x)
            if sal_b.shape[1:] != cams_b.shape[2:]:
                raise ValueError(f'{names[idx[0]]}: saliency grid {sal_b.shape[1:]} differs from the CAM grid '
                                 f'{cams_b.shape[2:]}')
            shape = (cams_b.shape[1] + 1, ) + tuple(int(v) for v in cams_b.shape[2:])  # background first
            batch.clear()
            for k, j in enumerate(idx):
                fg = fg_cues_from_cams(cams_b[k], sorted(int(c) + 1 for c in dataset.fg_labels[j]), fg_thr)
                bg = bg_cues_from_saliency(sal_b[k], bg_frac)
                batch[j] = (dense_to_cues(merge_cues(fg, bg, fg_conflict, cams_b[k])), shape)
        return batch[i]

    result = run_per_image(list(names), parts_dir, '.npz', compute, _save_part, resume, stamp, progress)
    if progress:
        print()
    return result


def generate_sec_cues(cam_model, sal_model, dataset: ImageLabelSet, names: Sequence[str],
                      fg_thr: float = 0.2, bg_frac: float = 0.1, fg_conflict: str = 'drop',
                      gt_paths: Optional[Sequence[str]] = None, progress: bool = True, batch_size: int = 16,
                      parts_dir: Optional[str] = None, resume: bool = True, stamp: Optional[dict] = None
                      ) -> Tuple[Dict[str, np.ndarray], Optional[CueQuality], Tuple[int, int]]:
    """Make cues for every image of ``dataset`` in the original SEC format.

    SEC's cue file is one pickle for the whole dataset, which does not fit the one-file-per-image model of
    :func:`mmwsss.stages.base.run_per_image`. The per-image part therefore runs on that skeleton
    (:func:`write_cue_parts`: one resumable, atomically written ``<parts_dir>/<name>.npz`` per image), and this
    function assembles the parts, in image order, into the dict :func:`mmwsss.datasets.sec_cues.save_sec_cue_file`
    writes atomically. Without ``parts_dir`` the parts go to a temporary folder that is removed afterwards.

    Args:
        cam_model: Trained ``CAMClassifier`` (eval mode).
        sal_model: Trained :class:`~mmwsss.models.segmentors.SECSaliencyClassifier` or :class:`CAMSaliency`
            (eval mode).
        dataset: Images (no flip) and labels; image i gets cue id i.
        names: Image ids (part file names and messages; unique).
        gt_paths: Optional GT label maps to measure cue quality.
        batch_size: Images per forward pass.
        parts_dir: Folder of the per-image parts (kept, so an interrupted run resumes); ``None``: a temporary one.
        resume: Keep the parts in ``parts_dir`` that exist.
        stamp: Run stamp of ``parts_dir`` (see :func:`write_cue_parts`).

    Returns:
        tuple: (cue dict ``'<i>_labels'``/``'<i>_cues'``, CueQuality or None, cue grid size).
    """
    import tempfile

    from mmwsss.datasets.sec_cues import cues_to_dense
    with tempfile.TemporaryDirectory(prefix='sec_cue_parts_') as tmp:
        folder = parts_dir if parts_dir is not None else tmp
        write_cue_parts(cam_model, sal_model, dataset, names, folder, fg_thr, bg_frac, fg_conflict,
                        resume, stamp, progress, batch_size)
        out: Dict[str, np.ndarray] = {}
        quality = CueQuality() if gt_paths is not None else None
        grid = None
        for i, name in enumerate(names):
            cues, shape = _load_part(osp.join(folder, name + '.npz'))
            grid = shape[1:]
            out[f'{i}_labels'] = np.asarray(sorted(int(c) + 1 for c in dataset.fg_labels[i]), dtype=np.int64)
            out[f'{i}_cues'] = cues
            if quality is not None:
                quality.update(cues_to_dense(cues, shape[0], grid), read_gt(gt_paths[i]))
    return out, quality, tuple(grid) if grid is not None else (0, 0)


def read_gt(path: str) -> np.ndarray:
    """Read a (palette) label PNG as class indices (PIL keeps palette indices; cv2 would give colours)."""
    from PIL import Image
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: ground-truth map not found')
    gt = np.asarray(Image.open(path))
    if gt.ndim != 2:
        raise ValueError(f'{path}: ground-truth map must be a single-channel label PNG, got shape {gt.shape}')
    return gt
