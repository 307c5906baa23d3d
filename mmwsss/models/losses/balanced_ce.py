"""Class-weighted cross-entropy that tolerates ignored pixels, with fixed weights or weights that follow the data;
background/foreground-balanced cross-entropy.

mmseg 1.2.2's ``CrossEntropyLoss(class_weight=...)`` indexes the weights with every label, the ignore index
(255) included, and fails with ``IndexError`` on any batch with void or padded pixels. This loss is PyTorch's
weighted cross-entropy: ``sum_i w[y_i] * ce_i / sum_i w[y_i]`` over the non-ignored pixels.

With ``class_weight='running'`` the weights are those of ``tools/analysis_tools/class_frequency.py``
(:func:`mmwsss.datasets.classes.balance_weights`) computed from the pixel counts of every training label
the loss has seen so far (the current batch included, summed over the processes of a distributed run).
After one epoch they are the weights of the training set's label maps: full masks for the fully supervised
bound, pseudo masks for the DeepLab stages of the weak methods, whatever class list the dataset has. The
counts are a buffer of the checkpoint, so a resumed run continues with them.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

from mmwsss.datasets.classes import balance_weights

__all__ = ['ClassBalancedCELoss', 'FgBgBalancedCELoss']


@MODELS.register_module()
class ClassBalancedCELoss(nn.Module):
    """Cross-entropy with per-class weights.

    Args:
        class_weight: One weight per class (background included), e.g. from
            ``tools/analysis_tools/class_frequency.py``; or ``'running'``: weights from the label pixels seen
            in training so far (see the module docstring), for any number of classes.
        power: Exponent of the running weights (``w_c = f_c ** -power``, as ``class_frequency.py --power``).
        use_sigmoid: Must be False; accepted so that the type of mmseg's ``CrossEntropyLoss`` entry can be
            switched alone (``--cfg-options model.decode_head.loss_decode.type=ClassBalancedCELoss``).
        avg_non_ignore: Accepted for the same reason; the mean is always the weighted mean over the
            non-ignored pixels.
        loss_weight: Scale of the loss.
        loss_name: Key of the loss in the log (``'loss_ce'``, as mmseg's).
    """

    def __init__(self, class_weight: Union[Sequence[float], str] = 'running', power: float = 0.5,
                 use_sigmoid: bool = False, avg_non_ignore: bool = True, loss_weight: float = 1.0,
                 loss_name: str = 'loss_ce'):
        super().__init__()
        if use_sigmoid:
            raise ValueError('ClassBalancedCELoss is a softmax cross-entropy (use_sigmoid=True is not supported)')
        self.running = isinstance(class_weight, str)
        if self.running:
            if class_weight != 'running':
                raise ValueError(f"ClassBalancedCELoss: class_weight is a list of weights or 'running', "
                                 f'not {class_weight!r}')
            self.register_buffer('class_weight', torch.zeros(0))
            self.register_buffer('pixel_counts', torch.zeros(0, dtype=torch.float64))
        else:
            self.register_buffer('class_weight', torch.as_tensor(list(class_weight), dtype=torch.float32),
                                 persistent=False)
        self.power = power
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        if self.running:  # the counts of a checkpoint have the checkpoint's class count
            for name in ('class_weight', 'pixel_counts'):
                if prefix + name in state_dict:
                    setattr(self, name, torch.empty_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @torch.no_grad()
    def _update_running(self, label: torch.Tensor, num_classes: int, ignore_index: int) -> None:
        from mmengine.dist import all_reduce
        valid = label[(label != ignore_index) & (label >= 0) & (label < num_classes)]
        counts = torch.bincount(valid.flatten().long(), minlength=num_classes).double()
        all_reduce(counts)  # sum over the processes (no-op outside a distributed run)
        if self.pixel_counts.numel() != num_classes:
            self.pixel_counts = torch.zeros(num_classes, dtype=torch.float64, device=label.device)
        self.pixel_counts += counts.to(self.pixel_counts.device)
        _, w = balance_weights(self.pixel_counts.cpu().numpy(), self.power)
        self.class_weight = torch.as_tensor(w, dtype=torch.float32, device=label.device)

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, weight: Optional[torch.Tensor] = None,
                ignore_index: int = 255, **kwargs) -> torch.Tensor:
        if self.running and (self.training or self.class_weight.numel() != cls_score.shape[1]):
            self._update_running(label, cls_score.shape[1], ignore_index)
        if cls_score.shape[1] != self.class_weight.numel():
            raise ValueError(f'ClassBalancedCELoss: {self.class_weight.numel()} class weights for '
                             f'{cls_score.shape[1]} classes')
        if not (label != ignore_index).any():
            return cls_score.sum() * 0
        return self.loss_weight * F.cross_entropy(cls_score, label.long(), weight=self.class_weight.to(cls_score),
                                                  ignore_index=ignore_index, reduction='mean')

    @property
    def loss_name(self) -> str:
        return self._loss_name


@MODELS.register_module()
class FgBgBalancedCELoss(nn.Module):
    """Background/foreground-balanced cross-entropy (DSRG's balanced seeding loss on hard labels).

    Per image, the cross-entropy is averaged separately over the background pixels (label 0) and over the
    foreground pixels (labels 1..C-1); the two means are averaged over the batch and summed::

        L = mean_b [ sum_{bg} -log p_0 / max(n_bg, eps) ] + mean_b [ sum_{fg} -log p_y / max(n_fg, eps) ]

    with ``eps = 1e-4`` (an image without background or foreground contributes 0 to that term), as DSRG
    ``pylayers.py`` ``SeedLossLayer3`` (Huang et al., CVPR 2018, Eq. 2). The W-OoD/AdvCAM author trains the
    final DeepLab-v2 with "balanced cross entropy loss, similar to DSRG" (jbeomlee93/AdvCAM issue #9).
    ``p`` is the softmax of the logits (DSRG floors its softmax at 1e-4; the logits here go through
    ``log_softmax``). Pixels labelled ``ignore_index`` are left out.

    Args:
        background: The background label.
        loss_weight: Scale of the loss.
        loss_name: Key of the loss in the log.
    """

    def __init__(self, background: int = 0, loss_weight: float = 1.0, loss_name: str = 'loss_ce',
                 eps: float = 1e-4):
        super().__init__()
        self.background = int(background)
        self.loss_weight = loss_weight
        self.eps = eps
        self._loss_name = loss_name

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, weight: Optional[torch.Tensor] = None,
                ignore_index: int = 255, **kwargs) -> torch.Tensor:
        if cls_score.dim() != 4 or label.shape != (cls_score.shape[0], ) + cls_score.shape[2:]:
            raise ValueError(f'FgBgBalancedCELoss: logits (N, C, H, W) and labels (N, H, W) expected, got '
                             f'{tuple(cls_score.shape)} and {tuple(label.shape)}')
        label = label.long()
        valid = label != ignore_index
        bad = valid & ((label < 0) | (label >= cls_score.shape[1]))
        if bad.any():
            raise ValueError(f'FgBgBalancedCELoss: labels {torch.unique(label[bad]).tolist()} outside '
                             f'0..{cls_score.shape[1] - 1} and {ignore_index}')
        ce = -cls_score.log_softmax(1).gather(1, torch.where(valid, label, 0).unsqueeze(1)).squeeze(1)
        bg = (valid & (label == self.background)).to(ce)
        fg = (valid & (label != self.background)).to(ce)
        dims = (1, 2)
        loss_bg = (ce * bg).sum(dims) / bg.sum(dims).clamp_min(self.eps)
        loss_fg = (ce * fg).sum(dims) / fg.sum(dims).clamp_min(self.eps)
        return self.loss_weight * (loss_bg.mean() + loss_fg.mean())

    @property
    def loss_name(self) -> str:
        return self._loss_name
