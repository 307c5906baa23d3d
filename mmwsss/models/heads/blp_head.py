"""BLPSeg decoder and heads: BLPSeg lib/net/operators/PPM.py (UPerNet-style PPM + FPN), lib/net/blpseg.py (MLPs).

Differences from mmseg's ``UPerHead`` that the original has and this head keeps (BLPSeg lib/net/operators/PPM.py): the
PPM branches have no ReLU and are upsampled with ``align_corners=True``; the PPM fusion is a 1x1 conv
followed by ``Dropout2d(0.1)``; there is no final dropout/``conv_seg`` but a 3-layer 1x1 MLP
(``seg_head``) and a second MLP with C + 1 outputs (``scribble_head``) on the *detached* decoder
features.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS

__all__ = ['BLPHead', 'mlp_head']


def mlp_head(channels: int, out_channels: int) -> nn.Sequential:
    """Three 1x1 convs: ``C_in -> C_in`` (no bias) ReLU ``-> C_in`` (no bias) ReLU ``-> out`` (bias) (BLPSeg blpseg.py).

    Args:
        channels: Input and hidden channels.
        out_channels: Output channels.

    Returns:
        ``nn.Sequential`` mapping (N, channels, h, w) to (N, out_channels, h, w).
    """
    return nn.Sequential(
        nn.Conv2d(channels, channels, 1, bias=False), nn.ReLU(inplace=True),
        nn.Conv2d(channels, channels, 1, bias=False), nn.ReLU(inplace=True),
        nn.Conv2d(channels, out_channels, 1, bias=True))


@MODELS.register_module()
class BLPHead(BaseDecodeHead):
    """UPerNet-style decoder (PPM bins 1/2/3/6 + FPN, stride 4) with BLPSeg's two MLP heads.

    ``forward`` returns the stride-4 segmentation logits (before LAM, which the segmentor applies
    because it needs the image). ``forward_train`` also returns the annotation-probability logits.
    The loss computation lives in :class:`mmwsss.models.segmentors.BLPSeg` (it needs LAM, the
    scribbles and the iteration); ``loss_decode`` (BLP loss) and ``loss_scribble`` are built here.

    Args:
        in_channels: Channels of the backbone stages, e.g. ``[256, 512, 1024, 2048]``.
        channels: Decoder width (``MODEL_PPM_DIM`` = 256).
        pool_scales: PPM bin sizes.
        ppm_dropout: ``Dropout2d`` after the PPM fusion (0.1).
        loss_decode: Segmentation-branch loss config (``BLPLoss``; ``gamma=0`` = partial CE).
        loss_scribble: Annotation-head loss config (``AnnotationProbabilityLoss``).
        **kwargs: ``BaseDecodeHead`` arguments (``num_classes``, ``norm_cfg``, ``in_index``, ...).
            ``dropout_ratio`` is forced to 0 and ``input_transform`` to ``'multiple_select'``.

    Shapes:
        inputs: list of 4 maps (N, in_channels[i], H / s_i, W / s_i), the first at stride 4.
        output: (N, num_classes, H / 4, W / 4).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (256, 512, 1024, 2048),
                 channels: int = 256,
                 pool_scales: Sequence[int] = (1, 2, 3, 6),
                 ppm_dropout: float = 0.1,
                 loss_decode=dict(type='BLPLoss', gamma=2.0),
                 loss_scribble=dict(type='AnnotationProbabilityLoss', unlabeled_weight=0.02),
                 **kwargs):
        kwargs.pop('dropout_ratio', None)
        kwargs.setdefault('in_index', (0, 1, 2, 3))
        kwargs.setdefault('init_cfg', None)
        super().__init__(list(in_channels), channels, input_transform='multiple_select', dropout_ratio=0.0,
                         loss_decode=loss_decode, **kwargs)
        if len(self.in_channels) != 4:
            raise ValueError(f'BLPHead expects 4 input levels, got in_channels={self.in_channels}')
        self.pool_scales = tuple(pool_scales)
        cfg = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg)
        top = self.in_channels[-1]
        # BLPSeg lib/net/operators/PPM.py PPM: pool -> 1x1 conv (no bias) -> BN, no ReLU.
        self.ppm = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(s), ConvModule(top, channels, 1, act_cfg=None, **cfg))
            for s in self.pool_scales)
        self.ppm_fuse = nn.Sequential(
            ConvModule(top + len(self.pool_scales) * channels, channels, 1, act_cfg=self.act_cfg, **cfg),
            nn.Dropout2d(ppm_dropout))
        self.lateral_convs = nn.ModuleList(
            ConvModule(c, channels, 1, act_cfg=self.act_cfg, **cfg) for c in self.in_channels[:-1])
        self.fpn_convs = nn.ModuleList(
            ConvModule(channels, channels, 3, padding=1, act_cfg=self.act_cfg, **cfg)
            for _ in self.in_channels[:-1])
        self.fpn_bottleneck = ConvModule(len(self.in_channels) * channels, channels, 3, padding=1,
                                         act_cfg=self.act_cfg, **cfg)
        # The segmentation MLP replaces conv_seg so mmseg's cls_seg/predict keep working.
        self.conv_seg = mlp_head(channels, self.out_channels)
        self.scribble_head = mlp_head(channels, self.num_classes + 1)
        self.loss_scribble = MODELS.build(loss_scribble)

    def init_weights(self) -> None:
        """BLPSeg blpseg.py: kaiming normal (fan_out, relu) for every conv, BN weight 1 / bias 0, default biases."""
        super().init_weights()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, (nn.BatchNorm2d, nn.SyncBatchNorm, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def _ppm(self, x: torch.Tensor) -> torch.Tensor:
        outs = [resize(branch(x), size=x.shape[2:], mode='bilinear', align_corners=True) for branch in self.ppm]
        return self.ppm_fuse(torch.cat(outs + [x], dim=1))

    def decode(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Decoder features.

        Args:
            inputs: Backbone outputs (all levels; ``in_index`` selects four).

        Returns:
            (N, channels, H / 4, W / 4) features (``decoder_out``).
        """
        feats = self._transform_inputs(inputs)
        laterals = [conv(feats[i]) for i, conv in enumerate(self.lateral_convs)]
        laterals.append(self._ppm(feats[-1]))
        for i in range(len(laterals) - 1, 0, -1):  # top-down, align_corners=False (BLPSeg lib/net/operators/PPM.py)
            laterals[i - 1] = laterals[i - 1] + resize(
                laterals[i], size=laterals[i - 1].shape[2:], mode='bilinear', align_corners=self.align_corners)
        outs = [self.fpn_convs[i](laterals[i]) for i in range(len(laterals) - 1)] + [laterals[-1]]
        outs = [outs[0]] + [
            resize(o, size=outs[0].shape[2:], mode='bilinear', align_corners=self.align_corners) for o in outs[1:]]
        return self.fpn_bottleneck(torch.cat(outs, dim=1))

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Stride-4 segmentation logits (before LAM): (N, num_classes, H / 4, W / 4)."""
        return self.cls_seg(self.decode(inputs))

    def forward_train(self, inputs: List[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Segmentation logits and annotation-probability logits (on detached features, BLPSeg lib/net/blpseg.py).

        Returns:
            ``(seg (N, C, H/4, W/4), scribble (N, C+1, H/4, W/4))``.
        """
        dec = self.decode(inputs)
        return self.cls_seg(dec), self.scribble_head(dec.detach())

    def loss(self, inputs, batch_data_samples, train_cfg) -> dict:
        """Not used: BLPSeg's losses need LAM (the image), the scribbles and the iteration."""
        raise NotImplementedError('BLPHead is trained through the BLPSeg segmentor (type="BLPSeg"), which applies '
                                  'LAM and computes the BLP and annotation losses; it cannot be used with a plain '
                                  'EncoderDecoder for training.')
