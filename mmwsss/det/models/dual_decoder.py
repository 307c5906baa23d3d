"""Panoptic-DeepLab dual decoder: BESTIE's ResNet option (BESTIE models/panoptic_deeplab.py).

The semantic branch and the instance (centre + offset) branches get decoders of their own on a shared
backbone, so the ×200 centre loss reaches the semantic prediction only through the backbone.
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmdet.registry import MODELS

from mmwsss.models.utils import DepthwiseConv2d

__all__ = ['PanopticASPP', 'PanopticDecoder', 'BestieDualDecoderHead']

# Panoptic-DeepLab sets every BN momentum to 0.01 (BESTIE models/panoptic_deeplab.py; PyTorch's convention, new-stat
# weight).
_BN_MOMENTUM = 0.01


def _conv_bn_relu(in_ch: int, out_ch: int, k: int = 1, dilation: int = 1, depthwise: bool = False) -> nn.Sequential:
    """k×k conv (no bias) + BN + ReLU; ``depthwise`` (``out_ch == in_ch``): one filter per channel, as
    :class:`DepthwiseConv2d` (the same convolution as ``nn.Conv2d(groups=in_ch)``, with a CPU backward several times
    faster)."""
    pad = dilation * (k - 1) // 2
    if depthwise:
        conv = DepthwiseConv2d(in_ch, k, padding=pad, dilation=dilation, bias=False)
    else:
        conv = nn.Conv2d(in_ch, out_ch, k, padding=pad, dilation=dilation, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(out_ch, momentum=_BN_MOMENTUM), nn.ReLU(inplace=True))


def _dw_sep(in_ch: int, out_ch: int, k: int = 5) -> nn.Sequential:
    """Depthwise k×k + BN + ReLU, then pointwise 1×1 + BN + ReLU."""
    return nn.Sequential(_conv_bn_relu(in_ch, in_ch, k, depthwise=True), _conv_bn_relu(in_ch, out_ch, 1))


class PanopticASPP(nn.Module):
    """ASPP: 1×1, three atrous 3×3 and image pooling (GAP → 1×1 → ReLU, no BN), fused by 1×1 + BN + ReLU
    + dropout 0.5.

    Args:
        in_channels: Input channels (res5).
        channels: Channels of every branch and of the output (256 in the original).
        rates: Atrous rates of the 3×3 branches ((3, 6, 9)).
        dropout: Dropout after the projection (0.5).
    """

    def __init__(self, in_channels: int, channels: int, rates: Sequence[int] = (3, 6, 9), dropout: float = 0.5):
        super().__init__()
        self.branches = nn.ModuleList([_conv_bn_relu(in_channels, channels, 1)] +
                                      [_conv_bn_relu(in_channels, channels, 3, dilation=r) for r in rates])
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, channels, 1), nn.ReLU(inplace=True))
        self.project = nn.Sequential(_conv_bn_relu(channels * (len(rates) + 2), channels, 1), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x (B, in_channels, h, w). Returns (B, channels, h, w)."""
        outs = [b(x) for b in self.branches]
        outs.append(self.pool(x).expand(-1, -1, x.shape[2], x.shape[3]))
        return self.project(torch.cat(outs, 1))


class PanopticDecoder(nn.Module):
    """ASPP on the deepest level, then top-down stages over the lower levels (deepest first).

    Each stage projects its low-level feature with 1×1 + BN + ReLU, upsamples the running feature to it
    (bilinear, ``align_corners=True``), concatenates and fuses with one 5×5 depthwise-separable conv.

    Args:
        low_channels: Channels of the low-level features, deepest first (res4, res3, res2).
        top_channels: Channels of the deepest level (res5).
        aspp_channels: ASPP width.
        project_channels: 1×1 projection width per low level, deepest first.
        decoder_channels: Output width of every fuse stage.
        rates: ASPP atrous rates.
    """

    def __init__(self, low_channels: Sequence[int], top_channels: int, aspp_channels: int,
                 project_channels: Sequence[int], decoder_channels: int, rates: Sequence[int] = (3, 6, 9)):
        super().__init__()
        if len(low_channels) != len(project_channels):
            raise ValueError(f'low_channels {list(low_channels)} and project_channels {list(project_channels)} '
                             'differ in length')
        self.aspp = PanopticASPP(top_channels, aspp_channels, rates)
        self.project = nn.ModuleList([_conv_bn_relu(c, p, 1) for c, p in zip(low_channels, project_channels)])
        fuse_in = [aspp_channels + project_channels[0]] + [decoder_channels + p for p in project_channels[1:]]
        self.fuse = nn.ModuleList([_dw_sep(c, decoder_channels, 5) for c in fuse_in])

    def forward(self, top: torch.Tensor, lows: Sequence[torch.Tensor]) -> torch.Tensor:
        """Args: top (B, top_channels, h, w); lows deepest first. Returns (B, decoder_channels) at lows[-1]'s size."""
        x = self.aspp(top)
        for low, proj, fuse in zip(lows, self.project, self.fuse):
            x = F.interpolate(x, size=low.shape[2:], mode='bilinear', align_corners=True)
            x = fuse(torch.cat([x, proj(low)], 1))
        return x


@MODELS.register_module()
class BestieDualDecoderHead(BaseModule):
    """BESTIE's ResNet head: a semantic decoder and an instance decoder (BESTIE models/panoptic_deeplab.py).

    Semantic head: 5×5 dw-sep (``decoder_channels``) + 1×1 → C+1. Instance heads on the instance
    decoder: centre 5×5 dw-sep → ``center_channels`` + 1×1 → C (class-wise), offset 5×5 dw-sep →
    ``offset_channels`` + 1×1 → 2 (dy, dx). Outputs are at the stride of the lowest level (4).

    Args:
        in_channels: Channels of the selected backbone levels, shallowest first (res2, res3, res4, res5).
        in_index: Indices of those levels in the backbone outputs.
        num_classes: C foreground classes.
        sem_channels: (aspp, decoder) widths of the semantic decoder ((256, 256)).
        sem_project: Projection widths of the semantic decoder, deepest low level first ((128, 64, 32)).
        ins_channels: (aspp, decoder) widths of the instance decoder ((256, 128)).
        ins_project: Projection widths of the instance decoder ((64, 32, 16)).
        center_channels: Hidden width of the centre head (128).
        offset_channels: Hidden width of the offset head (32).
        rates: ASPP atrous rates ((3, 6, 9)).
        init_std: Std of the normal init of every decoder conv (0.001, BESTIE models/panoptic_deeplab.py).
    """

    def __init__(self, in_channels: Sequence[int], in_index: Sequence[int], num_classes: int,
                 sem_channels: Tuple[int, int] = (256, 256), sem_project: Sequence[int] = (128, 64, 32),
                 ins_channels: Tuple[int, int] = (256, 128), ins_project: Sequence[int] = (64, 32, 16),
                 center_channels: int = 128, offset_channels: int = 32, rates: Sequence[int] = (3, 6, 9),
                 init_std: float = 0.001, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        in_channels, in_index = list(in_channels), list(in_index)
        if len(in_channels) != len(in_index):
            raise ValueError(f'in_channels {in_channels} and in_index {in_index} differ in length')
        if len(in_channels) < 2:
            raise ValueError(f'the dual decoder needs at least two levels, got in_index {in_index}')
        self.in_index = in_index
        self.num_classes = num_classes
        lows = in_channels[-2::-1]
        self.sem_decoder = PanopticDecoder(lows, in_channels[-1], sem_channels[0], sem_project, sem_channels[1],
                                           rates)
        self.ins_decoder = PanopticDecoder(lows, in_channels[-1], ins_channels[0], ins_project, ins_channels[1],
                                           rates)
        self.seg = nn.Sequential(_dw_sep(sem_channels[1], sem_channels[1]), nn.Conv2d(sem_channels[1],
                                                                                     num_classes + 1, 1))
        self.center = nn.Sequential(_dw_sep(ins_channels[1], center_channels), nn.Conv2d(center_channels,
                                                                                        num_classes, 1))
        self.offset = nn.Sequential(_dw_sep(ins_channels[1], offset_channels), nn.Conv2d(offset_channels, 2, 1))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, init_std)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def init_weights(self):
        # keep the N(0, 0.001) init from __init__
        pass

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Args: feats: backbone outputs. Returns seg (B, C+1, h, w), center (B, C, h, w), offset (B, 2, h, w)
        at the lowest selected level's resolution."""
        xs = [feats[i] for i in self.in_index]
        top, lows = xs[-1], xs[-2::-1]
        sem = self.sem_decoder(top, lows)
        ins = self.ins_decoder(top, lows)
        return self.seg(sem), self.center(ins), self.offset(ins)
