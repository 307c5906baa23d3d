"""The background-cue classifier of SEC's localization cues and the gradient saliency it (or a CAM classifier)
gives (SEC weak-localization/background); the cue generation itself is :mod:`mmwsss.stages.sec_cues`."""
from typing import Dict, List, Optional, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmseg.registry import MODELS
from scipy.ndimage import median_filter
from torch import Tensor

__all__ = ['SECSaliencyClassifier', 'CAMSaliency', 'gradient_saliency']


@MODELS.register_module()
class SECSaliencyClassifier(BaseModel):
    """Background-cue classifier: backbone + GAP + linear, saliency by gradient (SEC weak-localization/background).

    SEC's network is a plain VGG-16 classifier (fc6/fc7 1024); here any mmseg backbone with the
    global-average-pooled last feature and one linear layer, and the gradient is taken at the
    stride-8 feature ``outs[saliency_index]`` (SEC: conv4_1, 41x41 for a 321 input).

    Trains on mmengine's Runner like :class:`~mmwsss.models.segmentors.CAMClassifier` (``mode='loss'``:
    multi-label soft-margin loss on the samples' ``gt_img_labels``), e.g.
    ``configs/sec/sec-cues-bg_r18-d8_1xb16-600it_synthetic-128x128.py``.

    Args:
        backbone: mmseg backbone config; its ``out_indices`` must include ``saliency_index`` and end with
            the classification feature.
        in_channels: Channels of the last backbone output.
        num_fg: Foreground classes (or give ``num_classes``).
        saliency_index: Position in the backbone outputs of the saliency feature.
        num_classes: Classes **including** background (``num_fg + 1``), as the configs' dataset switches set it.
        data_preprocessor: an mmseg ``SegDataPreProcessor`` config (Runner training).
        init_cfg: mmengine init config.
        pretrained: backbone checkpoint: sets the backbone's ``Pretrained`` init (as ``CAMClassifier``).
    """

    def __init__(self, backbone: dict, in_channels: int, num_fg: Optional[int] = None, saliency_index: int = 0,
                 num_classes: Optional[int] = None, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, pretrained: Optional[str] = None):
        from .cam_classifier import backbone_with_pretrained
        backbone = backbone_with_pretrained(backbone, pretrained)
        if (num_fg is None) == (num_classes is None):
            raise ValueError('SECSaliencyClassifier: give exactly one of num_fg (foreground classes) and '
                             f'num_classes (with background), got num_fg={num_fg}, num_classes={num_classes}')
        num_fg = num_classes - 1 if num_fg is None else num_fg
        if num_fg < 1:
            raise ValueError(f'SECSaliencyClassifier: needs at least one foreground class, got {num_fg}')
        if isinstance(data_preprocessor, dict):  # mmseg's registry: works without a default scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_fg = num_fg
        self.num_classes = num_fg + 1
        self.backbone = MODELS.build(backbone)
        self.saliency_index = saliency_index
        self.fc = nn.Linear(in_channels, num_fg)
        nn.init.normal_(self.fc.weight, 0, 0.005)  # SEC weak-localization/background: new layers N(0, 0.005)
        nn.init.zeros_(self.fc.bias)

    def init_weights(self):
        if hasattr(self.backbone, 'init_weights'):
            self.backbone.init_weights()

    def _feats(self, x: Tensor):
        outs = self.backbone(x)
        return outs if isinstance(outs, (list, tuple)) else (outs, )

    def forward_logits(self, x: Tensor) -> Tensor:
        """(N, 3, H, W) -> (N, num_fg) logits."""
        return self.fc(self._feats(x)[-1].mean(dim=(2, 3)))

    def saliency(self, x: Tensor) -> np.ndarray:
        """Gradient saliency of :func:`gradient_saliency`: (N, 3, H, W) -> (N, h, w)."""
        return gradient_saliency(self._feats, lambda f: self.fc(f.mean(dim=(2, 3))), x, self.saliency_index)

    def forward(self, inputs: Tensor, data_samples: Optional[List] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], Tensor]:
        """mmengine entry point: ``'loss'`` -> dict of losses (samples with ``gt_img_labels`` or
        ``gt_sem_seg``), ``'tensor'`` -> (N, num_fg) logits. No ``'predict'``: the saliency is a cue stage's
        input (:meth:`saliency`), not a segmentation."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.forward_logits(inputs)
        raise RuntimeError(f'SECSaliencyClassifier: mode "{mode}" is not supported (train with mode="loss"; '
                           'the cues come from tools/sec/make_cues.py)')

    def loss(self, inputs: Tensor, data_samples: List) -> Dict[str, Tensor]:
        """Multi-label soft-margin loss, the loss of ``mmwsss.stages.sec_cues.train_multilabel``."""
        from .cam_classifier import img_labels_from_samples, multilabel_cls_losses
        labels = img_labels_from_samples(data_samples, self.num_classes, inputs.device)
        return multilabel_cls_losses(self.forward_logits(inputs), labels)


class CAMSaliency(nn.Module):
    """Background saliency from the foreground ``CAMClassifier`` itself (no second network).

    Not SEC's setup (SEC weak-localization/background trains a separate classifier); a cheaper option (``make_cues.py
    --bg-from-fg``). The CAM classifier's backbone must also return the stride-8 feature at ``saliency_index``.
    """

    def __init__(self, cam_model, saliency_index: int = 0):
        super().__init__()
        self.cam_model = cam_model
        self.saliency_index = saliency_index

    def _feats(self, x: Tensor):
        outs = self.cam_model.backbone(x)
        return outs if isinstance(outs, (list, tuple)) else (outs, )

    def forward_logits(self, x: Tensor) -> Tensor:
        return self.cam_model.forward_logits(x)

    def saliency(self, x: Tensor) -> np.ndarray:
        return gradient_saliency(self._feats, self.cam_model.logits_from_feat, x, self.saliency_index)


def gradient_saliency(feats_fn, logits_fn, x: Tensor, saliency_index: int) -> np.ndarray:
    """Gradient saliency (SEC background): max over channels of |d(sum of all class scores) / d feat|, 3x3 median.

    Each image's scores depend only on that image (BN in eval mode), so a batch gives per-image gradients.

    Args:
        feats_fn: x -> tuple of backbone features.
        logits_fn: last feature -> (N, C_fg) scores.
        x: (N, 3, H, W) normalised images.
        saliency_index: Position of the stride-8 feature in the tuple.

    Returns:
        np.ndarray: (N, h, w) saliency on the stride-8 grid.
    """
    with torch.enable_grad():
        feats = feats_fn(x)
        feat = feats[saliency_index]
        scores = logits_fn(feats[-1])
        (grad, ) = torch.autograd.grad(scores.sum(), feat)
    sal = grad.abs().amax(dim=1).cpu().numpy()
    return np.stack([median_filter(s, size=3, mode='nearest') for s in sal])
