"""PAM classifier: VGG-16 (output stride 8) + Peak Attention Module, α = 0.7 (BESTIE PAM/models/classifier.py)."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel, BaseModule
from mmdet.registry import MODELS

__all__ = ['peak_attention', 'BestieVGG16D1', 'BestiePAMClassifier']


def peak_attention(x: torch.Tensor, alpha: float = 0.7) -> torch.Tensor:
    """PAM (no parameters): ReLU, then zero every value below ``alpha`` × its channel's spatial max.

    Args:
        x: (B, C, H, W).
        alpha: Fixed controller value (the released code's single scalar, BESTIE PAM/models/classifier.py).

    Returns:
        torch.Tensor: (B, C, H, W).
    """
    x = F.relu(x)
    peak = F.adaptive_max_pool2d(x, 1)
    return torch.where(x < alpha * peak, torch.zeros_like(x), x)


@MODELS.register_module()
class BestieVGG16D1(BaseModule):
    """VGG-16 "D1": pool4 → 3×3/s1 max-pool, conv5 dilation 2, no pool5 ⇒ stride 8, 512 channels.

    ``features.<i>`` indices coincide with torchvision's ``vgg16().features`` so ImageNet weights
    load with ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=None)`` or
    :meth:`load_torchvision`.
    """

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        layers: List[nn.Module] = []
        cin = 3
        cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'P', 512, 512, 512]
        dil = 1
        for v in cfg:
            if v == 'M':
                layers.append(nn.MaxPool2d(2, 2))
            elif v == 'P':  # stride-1 pool replaces pool4; conv5 dilated (BESTIE PAM/models/classifier.py)
                layers.append(nn.MaxPool2d(3, 1, 1))
                dil = 2
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=dil, dilation=dil), nn.ReLU(inplace=True)]
                cin = v
        self.features = nn.Sequential(*layers)

    def load_torchvision(self, path: str) -> None:
        """Load ``features.*`` from a torchvision VGG-16 state dict (non-strict, like the original)."""
        sd = torch.load(path, map_location='cpu', weights_only=True)
        sd = {k[len('features.'):]: v for k, v in sd.items() if k.startswith('features.')}
        missing, unexpected = self.features.load_state_dict(sd, strict=False)
        if len(sd) == 0:
            raise ValueError(f'{path}: no "features.*" keys (not a torchvision VGG-16 checkpoint)')

    def forward(self, x: torch.Tensor):
        return (self.features(x), )


@MODELS.register_module()
class BestiePAMClassifier(BaseModel):
    """Multi-label classifier with three [conv3×3 → PAM] blocks, a 1×1 classifier and GAP (BESTIE classifier.py).

    Args:
        backbone: Backbone config (default :class:`BestieVGG16D1`; any backbone returning a tuple
            of maps works, the level ``in_index`` is used).
        num_classes: C foreground classes.
        in_channels: Channels of the used backbone level.
        in_index: Backbone output index.
        alpha: PAM controller value (0.7).
        extra_channels: Width of the three extra convs (512 in the original).
        data_preprocessor: e.g. mmdet ``DetDataPreprocessor`` (normalisation).

    ``data_samples[i].gt_img_labels`` is a multi-hot over C (or C+1 with background first).
    """

    def __init__(self, backbone: Optional[dict] = None, num_classes: int = 20, in_channels: int = 512,
                 in_index: int = -1, alpha: float = 0.7, extra_channels: int = 512,
                 data_preprocessor: Optional[dict] = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone or dict(type='BestieVGG16D1'))
        self.in_index = in_index
        self.alpha = alpha
        self.num_classes = num_classes
        ec = extra_channels
        self.extra_conv1 = nn.Conv2d(in_channels, ec, 3, padding=1)
        self.extra_conv2 = nn.Conv2d(ec, ec, 3, padding=1)
        self.extra_conv3 = nn.Conv2d(ec, ec, 3, padding=1)
        self.extra_conv4 = nn.Conv2d(ec, num_classes, 1)
        for m in (self.extra_conv1, self.extra_conv2, self.extra_conv3, self.extra_conv4):
            k = m.kernel_size[0]
            nn.init.normal_(m.weight, 0, (2.0 / (k * k * m.out_channels))**0.5)
            nn.init.zeros_(m.bias)

    def score_map(self, inputs: torch.Tensor) -> torch.Tensor:
        """Class score maps before pooling: (B, C, h, w) at the backbone stride."""
        feats = self.backbone(inputs)
        x = feats[self.in_index] if isinstance(feats, (list, tuple)) else feats
        x = peak_attention(self.extra_conv1(x), self.alpha)
        x = peak_attention(self.extra_conv2(x), self.alpha)
        x = peak_attention(self.extra_conv3(x), self.alpha)
        return self.extra_conv4(x)

    def cam(self, inputs: torch.Tensor) -> torch.Tensor:
        """CAM = ReLU(score map) (BESTIE PAM/models/classifier.py peak extraction step 2)."""
        return F.relu(self.score_map(inputs))

    def _labels(self, data_samples) -> torch.Tensor:
        lab = torch.stack([s.gt_img_labels.float() for s in data_samples])
        return lab[:, 1:] if lab.shape[1] == self.num_classes + 1 else lab

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        logits = self.score_map(inputs).mean(dim=(2, 3))
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            lab = self._labels(data_samples).to(logits.device)
            return dict(loss_cls=F.multilabel_soft_margin_loss(logits, lab))
        if mode == 'predict':
            for s, lg in zip(data_samples, logits):
                s.set_field(torch.sigmoid(lg.detach()), 'pred_img_scores', field_type='metainfo')
            return data_samples
        raise ValueError(f'unknown mode {mode!r}')
