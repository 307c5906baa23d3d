"""DeepLab-v2 ASPP head: the sum of dilated 3x3 convolutions straight to class logits.

DeepLab-v2 (Chen et al., TPAMI 2018, Sec. 3.3 "ASPP-L"; the ResNet-101 model as in kazuto1011/deeplab-pytorch
``libs/models/deeplabv2.py``, which W-OoD's README names for its final model): four 3x3 convolutions with
dilations 6/12/18/24 on the last backbone stage, each producing the class logits, summed. Weights N(0, 0.01),
biases 0. mmseg's ``ASPPHead`` is DeepLab-v3 (concatenated branches with BN, image pooling, a bottleneck).
"""
from typing import Sequence

import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS

__all__ = ['DeepLabV2Head']


@MODELS.register_module()
class DeepLabV2Head(BaseDecodeHead):
    """Sum of ``len(dilations)`` dilated 3x3 convolutions from ``in_channels`` to ``num_classes``.

    Args:
        dilations: Dilation (= padding) of each branch, (6, 12, 18, 24) as DeepLab-v2.
        **kwargs: ``BaseDecodeHead`` arguments (``in_channels``, ``num_classes``, ``in_index``,
            ``align_corners``, ``loss_decode``, ...). ``channels`` defaults to ``in_channels`` (unused: the
            branches output the logits; there is no dropout and no ``conv_seg``).
    """

    def __init__(self, dilations: Sequence[int] = (6, 12, 18, 24), **kwargs):
        kwargs.setdefault('channels', kwargs.get('in_channels'))
        kwargs.setdefault('dropout_ratio', 0.0)
        kwargs.setdefault('init_cfg', dict(type='Normal', std=0.01, bias=0, layer='Conv2d'))
        super().__init__(**kwargs)
        if not dilations:
            raise ValueError('DeepLabV2Head needs at least one dilation')
        del self.conv_seg  # the branches are the classifier
        self.dilations = tuple(int(d) for d in dilations)
        self.aspp = nn.ModuleList(
            nn.Conv2d(self.in_channels, self.out_channels, 3, padding=d, dilation=d, bias=True)
            for d in self.dilations)

    def forward(self, inputs) -> torch.Tensor:
        x = self._transform_inputs(inputs)
        return sum(branch(x) for branch in self.aspp)
