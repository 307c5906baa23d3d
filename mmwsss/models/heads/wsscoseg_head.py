"""wsscoseg segmentation head: the Initial Mask Generator's head, shared by the final model's
segmentation branch (wsscoseg cores/symbols/final_fcn_resnet50.py; cores/config.py)."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

__all__ = ['WSSCosegHead', 'labels_at_feat_res']


def labels_at_feat_res(data_samples: Sequence, size: Sequence[int]) -> Tensor:
    """Nearest-neighbour downsampling of the crop's label map to the logits grid (wsscoseg final_fcn_resnet50.py;
    config.py).

    The original resizes the 320x320 crop label to 40x40 with nearest neighbour (source index
    ``floor(i * 320 / 40)``), which is what ``F.interpolate(mode='nearest')`` does.

    Args:
        data_samples: N samples with ``gt_sem_seg`` of shape (1, H, W) (all the same size: a batch).
        size: (h, w) of the logits.

    Returns:
        Tensor: (N, h, w) long labels (255 = ignore).
    """
    out = []
    for ds in data_samples:
        if 'gt_sem_seg' not in ds:
            raise ValueError(f'{ds.metainfo.get("img_path", "?")}: data sample has no gt_sem_seg')
        seg = ds.gt_sem_seg.data
        if seg.dim() == 2:
            seg = seg[None]
        out.append(F.interpolate(seg[None].float(), size=tuple(size), mode='nearest')[0, 0].long())
    return torch.stack(out)


@MODELS.register_module()
class WSSCosegHead(BaseDecodeHead):
    """``new_conv1`` (3x3, dilation 12, ReLU, Dropout 0.5) -> ``fc`` (1x1, ReLU) -> ``score`` (1x1).

    No normalisation layers; new layers are initialised N(0, 0.01) with zero bias (wsscoseg
    cores/symbols/final_fcn_resnet50.py). For the ResNet-50 setting ``in_channels=2048, channels=512, dilation=12``; the
    small embedded configs use narrower widths and a dilation scaled to their smaller feature grid. With ``norm_cfg`` (a
    :class:`BaseDecodeHead` argument, ``None`` = the original) ``new_conv1`` and ``fc`` become conv-norm-ReLU
    blocks with mmcv's default (Kaiming) init: the N(0, 0.01) stack without normalisation assumes an
    ImageNet backbone and hardly passes a gradient to one trained from scratch.

    Args:
        dilation: Dilation (= padding) of the first 3x3 conv.
        fc_channels: Width of the 1x1 ``fc`` conv (default: ``channels``).
        loss_at_feat_res: Compute the loss on the output-stride-8 logits against nearest-downsampled
            labels, as the original (wsscoseg cores/symbols/final_fcn_resnet50.py); ``False`` upsamples the logits to
            the label size (mmseg default).
        **kwargs: :class:`BaseDecodeHead` arguments. ``dropout_ratio`` (default 0.5) is the dropout after
            ``new_conv1``; there is no dropout before the classifier.
    """

    def __init__(self,
                 dilation: int = 12,
                 fc_channels: Optional[int] = None,
                 loss_at_feat_res: bool = True,
                 dropout_ratio: float = 0.5,
                 loss_decode: ConfigType = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                                                avg_non_ignore=True),
                 **kwargs):
        if kwargs.get('input_transform') is not None:
            raise ValueError('WSSCosegHead: takes one backbone feature (in_index); input_transform is unsupported')
        super().__init__(dropout_ratio=0.0, loss_decode=loss_decode, **kwargs)
        if dilation < 1:
            raise ValueError(f'WSSCosegHead: dilation must be >= 1, got {dilation}')
        fc_channels = fc_channels or self.channels
        self.dilation = dilation
        self.loss_at_feat_res = loss_at_feat_res
        # BaseDecodeHead built conv_seg for `channels` inputs; the classifier reads the fc output
        self.conv_seg = nn.Conv2d(fc_channels, self.out_channels, 1)
        self.drop1 = nn.Dropout2d(dropout_ratio) if dropout_ratio > 0 else nn.Identity()
        self.dropout = None
        if self.norm_cfg is None:
            self.new_conv1 = nn.Conv2d(self.in_channels, self.channels, 3, padding=dilation, dilation=dilation)
            self.fc = nn.Conv2d(self.channels, fc_channels, 1)
            init = (self.new_conv1, self.fc, self.conv_seg)
        else:
            from mmcv.cnn import ConvModule
            self.new_conv1 = ConvModule(self.in_channels, self.channels, 3, padding=dilation, dilation=dilation,
                                        norm_cfg=self.norm_cfg, act_cfg=None)
            self.fc = ConvModule(self.channels, fc_channels, 1, norm_cfg=self.norm_cfg, act_cfg=None)
            init = (self.conv_seg, )
        for m in init:
            nn.init.normal_(m.weight, 0, 0.01)  # MXNet Normal() = N(0, 0.01), wsscoseg final_fcn_resnet50.py
            nn.init.zeros_(m.bias)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Backbone features -> (N, num_classes, h, w) logits at the feature resolution."""
        x = self._transform_inputs(inputs)
        x = self.drop1(F.relu(self.new_conv1(x), inplace=True))
        x = F.relu(self.fc(x), inplace=True)
        return self.conv_seg(x)

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Cross-entropy (ignore 255, mean over valid pixels) of the (merged) logits.

        Args:
            seg_logits: (N, C, h, w) logits; the final model passes segmentation + global-branch logits.
            batch_data_samples: samples with ``gt_sem_seg`` (1, H, W).

        Returns:
            dict: ``loss_ce`` (or the configured loss names) and ``acc_seg``.
        """
        if not self.loss_at_feat_res:
            return super().loss_by_feat(seg_logits, batch_data_samples)
        from mmseg.models.losses import accuracy
        label = labels_at_feat_res(batch_data_samples, seg_logits.shape[-2:]).to(seg_logits.device)
        losses = dict()
        losses_decode = self.loss_decode if isinstance(self.loss_decode, nn.ModuleList) else [self.loss_decode]
        for loss_decode in losses_decode:
            value = loss_decode(seg_logits, label, weight=None, ignore_index=self.ignore_index)
            losses[loss_decode.loss_name] = losses.get(loss_decode.loss_name, 0) + value
        losses['acc_seg'] = accuracy(seg_logits, label, ignore_index=self.ignore_index)
        return losses
