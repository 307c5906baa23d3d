"""BLPSeg losses and self-training labels (BLPSeg lib/net/blpseg.py and lib/net/loss.py).

* :func:`blp_loss` / :class:`BLPLoss`: the Balanced-Label-Preference loss of the segmentation branch,
  a per-pixel weighted cross-entropy on labelled pixels with the detached weight
  ``w = (1 - q_c p_c)^gamma`` (``q`` = annotation probability, ``p`` = segmentation probability of the
  labelled class c) and a per-image normalisation by the sum of the weights (BLPSeg lib/net/loss.py, BLPLoss).
* :func:`annotation_ce_loss` / :class:`AnnotationProbabilityLoss`: cross-entropy of the scribble
  (annotation-probability) head over C + 1 classes, the "not annotated" class weighted 0.02 (BLPSeg lib/net/blpseg.py).
* :func:`blp_pseudo_labels`: the self-training targets used after the switch iteration (BLPSeg lib/net/loss.py,
BLPLoss).

Label convention of the scribble map (BLPSeg experiment/blpseg-voc/train.py): ``0..C-1`` annotated class, ``C`` = not
annotated, ``255`` = ignore (crop padding).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

__all__ = ['blp_loss', 'annotation_ce_loss', 'blp_pseudo_labels', 'BLPLoss', 'AnnotationProbabilityLoss']


def _check_target(logits: torch.Tensor, target: torch.Tensor, name: str) -> None:
    if logits.dim() != 4:
        raise ValueError(f'{name}: logits must be (N, C, H, W), got {tuple(logits.shape)}')
    if target.shape != (logits.shape[0], ) + tuple(logits.shape[2:]):
        raise ValueError(f'{name}: target shape {tuple(target.shape)} does not match logits '
                         f'{tuple(logits.shape)} (expected (N, H, W) of the same size)')


def blp_loss(seg_logits: torch.Tensor,
             scrib_logits: Optional[torch.Tensor],
             target: torch.Tensor,
             gamma: float = 2.0,
             eps: float = 1e-7) -> torch.Tensor:
    """BLP loss (BLPSeg loss.py): ``mean_n [ sum_x w (-log p_y) / (sum_x w + eps) ]``, ``w = (1 - q_y p_y)^gamma``.

    Pixels whose target is outside ``[0, C)`` (the "not annotated" class ``C`` and ``255``) have zero
    weight. ``w`` is detached. With ``gamma = 0`` (or ``scrib_logits=None`` and ``gamma = 0``) this is the
    per-image-normalised partial cross-entropy on the labelled pixels.

    Args:
        seg_logits: (N, C, H, W) segmentation logits (after LAM, upsampled to the label size).
        scrib_logits: (N, C + 1, H, W) annotation-head logits (detached here), or ``None`` to use
            ``q = 0`` (weight ``1`` on every labelled pixel).
        target: (N, H, W) integer labels.
        gamma: Focusing exponent (``LOSS_GAMMA`` = 2).
        eps: Added to the per-image weight sum.

    Returns:
        Scalar loss.
    """
    _check_target(seg_logits, target, 'blp_loss')
    num_classes = seg_logits.shape[1]
    if scrib_logits is not None and (scrib_logits.shape[1] != num_classes + 1
                                     or scrib_logits.shape[2:] != seg_logits.shape[2:]):
        raise ValueError(f'blp_loss: annotation logits {tuple(scrib_logits.shape)} must be (N, C+1, H, W) '
                         f'for segmentation logits {tuple(seg_logits.shape)}')
    target = target.long()
    valid = (target >= 0) & (target < num_classes)
    index = torch.where(valid, target, torch.zeros_like(target)).unsqueeze(1)
    log_p = F.log_softmax(seg_logits.float(), dim=1).gather(1, index).squeeze(1)  # (N, H, W)
    with torch.no_grad():
        p = log_p.exp()
        if scrib_logits is not None:
            # q: softmax over the C + 1 channels, then the labelled class's channel (BLPSeg lib/net/loss.py, BLPLoss).
            q = F.softmax(scrib_logits.detach().float(), dim=1).gather(1, index).squeeze(1)
        else:
            q = torch.zeros_like(p)
        weight = (1.0 - q * p).clamp_min(0).pow(gamma) * valid
    per_image = (weight * -log_p).flatten(1).sum(1) / (weight.flatten(1).sum(1) + eps)
    return per_image.mean()


def annotation_ce_loss(scrib_logits: torch.Tensor,
                       target: torch.Tensor,
                       unlabeled_weight: float = 0.02,
                       ignore_index: int = 255) -> torch.Tensor:
    """Cross-entropy of the annotation-probability head (BLPSeg lib/net/blpseg.py).

    Class weights ``[1] * C + [unlabeled_weight]``; mean reduction divides by the sum of the class
    weights of the non-ignored pixels (PyTorch ``F.cross_entropy`` semantics, as in the original).

    Args:
        scrib_logits: (N, C + 1, H, W) logits.
        target: (N, H, W) labels in ``0..C`` or ``ignore_index``.
        unlabeled_weight: Weight of the "not annotated" class ``C`` (``LOSS_UNLABEL_CLASS_W``).
        ignore_index: Label ignored (crop padding).

    Returns:
        Scalar loss; 0 (with a graph) when every pixel is ignored.
    """
    _check_target(scrib_logits, target, 'annotation_ce_loss')
    target = target.long()
    num_out = scrib_logits.shape[1]
    bad = (target != ignore_index) & ((target < 0) | (target >= num_out))
    if bad.any():
        raise ValueError(f'annotation_ce_loss: labels {torch.unique(target[bad]).tolist()} outside 0..{num_out - 1} '
                         f'and not {ignore_index}')
    if not (target != ignore_index).any():
        return scrib_logits.sum() * 0.0
    weight = scrib_logits.new_ones(num_out, dtype=torch.float32)
    weight[-1] = unlabeled_weight
    return F.cross_entropy(scrib_logits.float(), target, weight=weight, ignore_index=ignore_index)


@torch.no_grad()
def blp_pseudo_labels(seg_logits: torch.Tensor,
                      scribble: torch.Tensor,
                      img_labels: Optional[torch.Tensor],
                      threshold: float = 0.9,
                      ignore_index: int = 255) -> torch.Tensor:
    """Self-training targets after the switch iteration (BLPSeg lib/net/loss.py, BLPLoss).

    ``P = softmax(seg) * img_labels`` (not renormalised), ``y = argmax P`` where ``max P >= threshold``
    else ``ignore_index``; scribbled pixels (``< C``) keep their scribble label, padding (``ignore_index``)
    stays ignored.

    Args:
        seg_logits: (N, C, H, W) segmentation logits (after LAM, at label size).
        scribble: (N, H, W) scribble labels (``0..C-1``, ``C`` = not annotated, ``ignore_index``).
        img_labels: (N, C) multi-hot image labels incl. background, or ``None`` to take them from
            ``scribble`` (background always on).
        threshold: Confidence threshold (0.9).
        ignore_index: Ignore label.

    Returns:
        (N, H, W) long labels in ``0..C-1`` or ``ignore_index``.
    """
    _check_target(seg_logits, scribble, 'blp_pseudo_labels')
    num_classes = seg_logits.shape[1]
    scribble = scribble.long()
    if img_labels is None:
        img_labels = scribble_img_labels(scribble, num_classes)
    if img_labels.shape != (seg_logits.shape[0], num_classes):
        raise ValueError(f'blp_pseudo_labels: img_labels {tuple(img_labels.shape)} must be (N, {num_classes})')
    prob = F.softmax(seg_logits.float(), dim=1) * img_labels.to(seg_logits.device, torch.float32)[:, :, None, None]
    conf, label = prob.max(dim=1)
    label[conf < threshold] = ignore_index
    scribbled = (scribble >= 0) & (scribble < num_classes)
    label[scribbled] = scribble[scribbled]
    label[scribble == ignore_index] = ignore_index
    return label


def scribble_img_labels(scribble: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Multi-hot image labels from scribbles, background always on (BLPSeg experiment/blpseg-voc/train.py).

    Args:
        scribble: (N, H, W) scribble labels.
        num_classes: C.

    Returns:
        (N, C) float multi-hot.
    """
    out = torch.zeros(scribble.shape[0], num_classes, device=scribble.device)
    for i in range(scribble.shape[0]):
        values = torch.unique(scribble[i])
        values = values[(values >= 0) & (values < num_classes)]
        out[i, values] = 1.0
    out[:, 0] = 1.0
    return out


__all__ += ['scribble_img_labels']


@MODELS.register_module()
class BLPLoss(nn.Module):
    """Registered BLP loss (BLPSeg lib/net/loss.py, BLPLoss); see :func:`blp_loss`.

    Args:
        gamma: Focusing exponent (2). ``gamma=0`` gives per-image-normalised partial cross-entropy
            (the ablation baseline).
        loss_weight: Multiplier.
        eps: Added to the per-image weight sum.
        loss_name: Key of the loss in the log (must start with ``loss_``).
    """

    def __init__(self, gamma: float = 2.0, loss_weight: float = 1.0, eps: float = 1e-7,
                 loss_name: str = 'loss_blp'):
        super().__init__()
        if gamma < 0:
            raise ValueError(f'BLPLoss: gamma must be >= 0, got {gamma}')
        self.gamma = gamma
        self.loss_weight = loss_weight
        self.eps = eps
        self._loss_name = loss_name

    def forward(self, seg_logits: torch.Tensor, scrib_logits: Optional[torch.Tensor],
                target: torch.Tensor) -> torch.Tensor:
        """Args: see :func:`blp_loss`. Returns the weighted scalar loss."""
        return self.loss_weight * blp_loss(seg_logits, scrib_logits, target, self.gamma, self.eps)

    @property
    def loss_name(self) -> str:
        return self._loss_name


@MODELS.register_module()
class AnnotationProbabilityLoss(nn.Module):
    """Registered scribble-head cross-entropy (BLPSeg lib/net/blpseg.py); see :func:`annotation_ce_loss`.

    Args:
        unlabeled_weight: Class weight of the "not annotated" class (0.02).
        loss_weight: Multiplier.
        ignore_index: Ignored label (255).
        loss_name: Key of the loss in the log.
    """

    def __init__(self, unlabeled_weight: float = 0.02, loss_weight: float = 1.0, ignore_index: int = 255,
                 loss_name: str = 'loss_scrib'):
        super().__init__()
        self.unlabeled_weight = unlabeled_weight
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self._loss_name = loss_name

    def forward(self, scrib_logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Args: see :func:`annotation_ce_loss`. Returns the weighted scalar loss."""
        return self.loss_weight * annotation_ce_loss(scrib_logits, target, self.unlabeled_weight, self.ignore_index)

    @property
    def loss_name(self) -> str:
        return self._loss_name
