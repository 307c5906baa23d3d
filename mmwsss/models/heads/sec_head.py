"""SEC head: fc8-SEC classifier (optionally after a few convs) and the three SEC losses on the
low-resolution logits (SEC training/train.prototxt; pylayers/pylayers.py; training/solver.prototxt)."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from torch import Tensor

from ..losses.sec_losses import SECConstrainLoss, SECExpandLoss, SECSeedLoss, sec_softmax

__all__ = ['SECHead', 'cues_from_samples', 'labels_from_samples']


def cues_from_samples(data_samples: Sequence, size, num_classes: int) -> Tensor:
    """Read ``data_sample.gt_cues`` ((C, H, W) image-aligned 0/1) back onto the logits grid.

    The cue grid was painted so every cell covers an equal share of the image (``LoadSECCues``);
    sampling the cell centres (``nearest-exact``) recovers it after resize/flip.

    Returns:
        Tensor: (N, C, h, w) float 0/1.
    """
    out = []
    for ds in data_samples:
        if 'gt_cues' not in ds:
            raise ValueError(f'{ds.metainfo.get("img_path", "?")}: data sample has no gt_cues '
                             '(use SECCueDataset + LoadSECCues + PackWSSSInputs)')
        cue = ds.gt_cues.data
        if cue.shape[0] != num_classes:
            raise ValueError(f'{ds.metainfo.get("img_path", "?")}: gt_cues has {cue.shape[0]} channels, '
                             f'expected {num_classes}')
        out.append(F.interpolate(cue[None].float(), size=tuple(size), mode='nearest-exact')[0])
    return torch.stack(out)


def labels_from_samples(data_samples: Sequence, num_classes: int) -> Tensor:
    """Stack ``data_sample.gt_img_labels`` -> (N, C) float (background at index 0)."""
    out = []
    for ds in data_samples:
        if 'gt_img_labels' not in ds:
            raise ValueError(f'{ds.metainfo.get("img_path", "?")}: data sample has no gt_img_labels')
        lab = torch.as_tensor(ds.gt_img_labels).flatten().float()
        if lab.numel() != num_classes:
            raise ValueError(f'{ds.metainfo.get("img_path", "?")}: gt_img_labels has {lab.numel()} entries, '
                             f'expected {num_classes}')
        out.append(lab)
    return torch.stack(out)


@MODELS.register_module()
class SECHead(BaseDecodeHead):
    """fc8-SEC: (``num_convs`` conv-BN-ReLU layers, then) a 1x1 classifier, N(0, 0.01) init.

    With VGG16LargeFOV the backbone already ends in fc6/fc7, so ``num_convs=0`` and
    ``channels == in_channels``; the ResNet variant adds convs here. ``loss_decode`` is a list of
    ``SECSeedLoss`` / ``SECExpandLoss`` / ``SECConstrainLoss`` (any subset: the ablations drop one).

    Args:
        num_convs: Convs before the classifier.
        kernel_size: Kernel of those convs.
        dilation: Dilation of those convs.
        min_prob: Floor of SEC's softmax (SEC pylayers/pylayers.py, SoftmaxLayer).
        **kwargs: :class:`BaseDecodeHead` arguments (in_channels, channels, num_classes, ...).
    """

    def __init__(self,
                 num_convs: int = 0,
                 kernel_size: int = 3,
                 dilation: int = 1,
                 min_prob: float = 1e-4,
                 loss_decode=(dict(type='SECSeedLoss'), dict(type='SECExpandLoss'), dict(type='SECConstrainLoss')),
                 **kwargs):
        if isinstance(loss_decode, dict):
            loss_decode = [loss_decode]
        super().__init__(loss_decode=list(loss_decode), **kwargs)
        if num_convs == 0 and self.in_channels != self.channels:
            raise ValueError(f'SECHead: with num_convs=0, channels ({self.channels}) must equal in_channels '
                             f'({self.in_channels})')
        self.min_prob = min_prob
        convs = []
        for i in range(num_convs):
            convs.append(
                ConvModule(self.in_channels if i == 0 else self.channels, self.channels, kernel_size,
                           padding=dilation * (kernel_size // 2), dilation=dilation, conv_cfg=self.conv_cfg,
                           norm_cfg=self.norm_cfg, act_cfg=self.act_cfg))
        self.convs = nn.Sequential(*convs) if convs else nn.Identity()
        for loss in self.loss_decode:
            if not isinstance(loss, (SECSeedLoss, SECExpandLoss, SECConstrainLoss)):
                raise TypeError(f'SECHead: loss_decode entries must be SEC losses, got {type(loss).__name__}')

    @property
    def needs_images(self) -> bool:
        """Whether the constrain loss (and thus the downscaled images) is used."""
        return any(isinstance(loss, SECConstrainLoss) for loss in self.loss_decode)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Backbone features -> (N, num_classes, h, w) logits at the feature resolution."""
        x = self._transform_inputs(inputs)
        return self.cls_seg(self.convs(x))

    def loss(self, inputs, batch_data_samples, train_cfg, images: Optional[Tensor] = None) -> Dict[str, Tensor]:
        return self.loss_by_feat(self.forward(inputs), batch_data_samples, images=images)

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples, images: Optional[Tensor] = None
                     ) -> Dict[str, Tensor]:
        """SEC losses on the low-resolution logits (no upsampling, SEC pylayers/pylayers.py).

        Args:
            seg_logits: (N, C, h, w) logits.
            batch_data_samples: samples with ``gt_cues`` (C, H, W) and ``gt_img_labels`` (C,).
            images: (N, h, w, 3) uint8 images on the logits grid (needed by the constrain loss).

        Returns:
            dict: one entry per loss (``loss_seed``, ``loss_expand``, ``loss_constrain``).
        """
        probs = sec_softmax(seg_logits, self.min_prob)
        losses = {}
        for loss in self.loss_decode:
            if isinstance(loss, SECSeedLoss):
                cues = cues_from_samples(batch_data_samples, seg_logits.shape[-2:], self.out_channels)
                value = loss(probs, cues.to(probs))
            elif isinstance(loss, SECExpandLoss):
                value = loss(probs, labels_from_samples(batch_data_samples, self.out_channels).to(probs))
            else:
                if images is None:
                    raise ValueError('SECHead: the constrain loss needs the images on the logits grid '
                                     '(use the SECSegmentor)')
                value = loss(probs, seg_logits, images)
            losses[loss.loss_name] = losses.get(loss.loss_name, 0) + value
        return losses
