"""VGG-16 DeepLab-LargeFOV backbone used by SEC (SEC train.prototxt) and its CAM variant (SEC foreground).

Layer names follow the Caffe prototxt (``conv1_1`` ... ``conv5_3``, ``fc6``, ``fc7``) so converted
``vgg16_20M`` weights load by name.
"""
from typing import List, Sequence, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor

__all__ = ['VGG16LargeFOV']

# (number of 3x3 convs, channels) per VGG-16 block
_BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))


@MODELS.register_module()
class VGG16LargeFOV(BaseModule):
    """VGG-16 DeepLab-LargeFOV, output stride 8 (321x321 -> 41x41).

    ``arch='largefov'`` (SEC segmentation net, SEC training/train.prototxt): pool1-3 max k3 s2 p1, pool4 max k3 s1 p1,
    conv5 dilation 2, pool5 max k3 s1 p1 + pool5a avg k3 s1 p1, fc6 3x3 dilation 12 (1024) + ReLU +
    dropout, fc7 1x1 (1024) + ReLU + dropout.

    ``arch='cam'`` (SEC foreground localisation net, SEC weak-localization/foreground): pool1-3 max k2 s2 (Caffe ceil
    mode), pool4/pool5 removed, conv5 undilated, fc6 3x3 (1024) + ReLU + dropout, fc7 3x3 (1024)
    (+ ReLU when ``fc7_relu``; the deploy prototxt has none, SEC-MX adds one).

    Stages (indices for ``out_indices``): 0 conv1+pool1, 1 conv2+pool2, 2 conv3+pool3 (stride 8),
    3 conv4(+pool4), 4 conv5(+pool5/pool5a), 5 fc6+fc7 (only when ``with_fc``).

    Args:
        arch: ``'largefov'`` or ``'cam'``.
        in_channels: Input channels.
        with_fc: Build fc6/fc7.
        fc_channels: Channels of fc6/fc7 (1024 in the reduced ``vgg16_20M`` model).
        dropout: Dropout after fc6 and fc7 (0.5 in SEC; inactive in eval mode).
        fc7_relu: ReLU after fc7 (``arch='cam'`` only; always on for ``'largefov'``).
        out_indices: Stages whose outputs are returned.
        init_cfg: mmengine init config (e.g. ``dict(type='Pretrained', checkpoint=...)``).
    """

    def __init__(self,
                 arch: str = 'largefov',
                 in_channels: int = 3,
                 with_fc: bool = True,
                 fc_channels: int = 1024,
                 dropout: float = 0.5,
                 fc7_relu: bool = True,
                 out_indices: Sequence[int] = (5, ),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if arch not in ('largefov', 'cam'):
            raise ValueError(f"arch must be 'largefov' or 'cam', got {arch!r}")
        num_stages = 6 if with_fc else 5
        out_indices = tuple(out_indices)
        if not out_indices or any(i < 0 or i >= num_stages for i in out_indices):
            raise ValueError(f'out_indices {out_indices} must lie in [0, {num_stages - 1}] '
                             f'(with_fc={with_fc})')
        self.arch, self.with_fc, self.out_indices = arch, with_fc, out_indices
        self.out_channels = [c for _, c in _BLOCKS] + ([fc_channels] if with_fc else [])
        self.stage_names: List[List[str]] = []
        ch = in_channels
        for b, (n_conv, out_ch) in enumerate(_BLOCKS, start=1):
            names = []
            dil = 2 if (arch == 'largefov' and b == 5) else 1
            for k in range(1, n_conv + 1):
                name = f'conv{b}_{k}'
                self.add_module(name, nn.Conv2d(ch, out_ch, 3, padding=dil, dilation=dil))
                self.add_module(f'relu{b}_{k}', nn.ReLU(inplace=True))
                names += [name, f'relu{b}_{k}']
                ch = out_ch
            pools = self._pools(b)
            for pname, pool in pools:
                self.add_module(pname, pool)
                names.append(pname)
            self.stage_names.append(names)
        if with_fc:
            if arch == 'largefov':
                fc6 = nn.Conv2d(ch, fc_channels, 3, padding=12, dilation=12)
                fc7 = nn.Conv2d(fc_channels, fc_channels, 1)
            else:
                fc6 = nn.Conv2d(ch, fc_channels, 3, padding=1)
                fc7 = nn.Conv2d(fc_channels, fc_channels, 3, padding=1)
            names = ['fc6', 'relu6', 'drop6', 'fc7']
            self.fc6, self.relu6, self.drop6, self.fc7 = fc6, nn.ReLU(inplace=True), nn.Dropout2d(dropout), fc7
            if arch == 'largefov' or fc7_relu:
                self.relu7 = nn.ReLU(inplace=True)
                names.append('relu7')
            self.drop7 = nn.Dropout2d(dropout)
            names.append('drop7')
            self.stage_names.append(names)

    def _pools(self, block: int) -> List[Tuple[str, nn.Module]]:
        if self.arch == 'cam':
            # Caffe pools in ceil mode: 321 -> 161 -> 81 -> 41 (SEC weak-localization/foreground); pool4/pool5 removed
            return [(f'pool{block}', nn.MaxPool2d(2, 2, ceil_mode=True))] if block <= 3 else []
        if block <= 3:
            return [(f'pool{block}', nn.MaxPool2d(3, 2, padding=1))]
        if block == 4:
            return [('pool4', nn.MaxPool2d(3, 1, padding=1))]
        # Caffe AVE pooling divides by the padded window (count_include_pad=True)
        return [('pool5', nn.MaxPool2d(3, 1, padding=1)), ('pool5a', nn.AvgPool2d(3, 1, padding=1))]

    def init_weights(self):
        """Kaiming-normal convs with zero bias (training from scratch); SEC itself loads ``vgg16_20M``
        through ``init_cfg``."""
        if self.init_cfg is not None:
            return super().init_weights()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Args: x (N, 3, H, W). Returns: tuple of stage outputs, e.g. (N, 1024, H', W') for fc7
        with H' = 41 for H = 321."""
        outs = []
        for i, names in enumerate(self.stage_names):
            for name in names:
                x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
