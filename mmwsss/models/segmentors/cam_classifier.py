"""Generic CAM classifier: backbone + GAP + bias-free 1x1 classifier, multi-label soft-margin loss.

This is the IRN/W-OoD classifier (W-OoD net/resnet50_cam.py) written generically so that every method that needs class
activation maps (W-OoD, SEC cue generation, ...) can use it with any mmseg backbone.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor

__all__ = ['CAMClassifier', 'img_labels_from_samples', 'normalize_cams', 'backbone_with_pretrained']


def img_labels_from_samples(data_samples: Sequence[SegDataSample], num_classes: int,
                            device: Union[str, torch.device] = 'cpu') -> Tensor:
    """Foreground multi-hot labels of a batch.

    Uses ``data_sample.gt_img_labels`` ((num_classes,) with background at 0) when present, else the classes present
    in ``gt_sem_seg`` (ignoring 0 and 255).

    Args:
        data_samples: N data samples.
        num_classes: number of classes including background.
        device: output device.

    Returns:
        Tensor: (N, num_classes - 1) float multi-hot over the foreground classes.
    """
    out = torch.zeros(len(data_samples), num_classes - 1, device=device)
    for i, ds in enumerate(data_samples):
        if 'gt_img_labels' in ds:
            lab = torch.as_tensor(ds.gt_img_labels).flatten().to(device=device, dtype=torch.float32)
            if lab.numel() != num_classes:
                raise ValueError(f'gt_img_labels of {ds.metainfo.get("img_path", "?")} has {lab.numel()} entries, '
                                 f'expected num_classes={num_classes} (background at index 0)')
            out[i] = lab[1:]
        elif 'gt_sem_seg' in ds:
            cls = torch.unique(ds.gt_sem_seg.data)
            cls = cls[(cls > 0) & (cls < num_classes)].long()
            out[i, cls - 1] = 1.0
        else:
            raise ValueError(f'{ds.metainfo.get("img_path", "?")}: data sample has neither gt_img_labels nor '
                             'gt_sem_seg; cannot build image-level labels')
    return out


def multilabel_cls_losses(logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
    """Multi-label soft-margin loss (= BCE with logits averaged over N x C_fg) and the label accuracy at 0.

    Args:
        logits: (N, C_fg) class scores.
        labels: (N, C_fg) 0/1 image labels.

    Returns:
        dict: ``loss_cls`` and ``acc_cls`` (no gradient).
    """
    loss = F.multilabel_soft_margin_loss(logits, labels)
    with torch.no_grad():
        acc = ((logits > 0).float() == labels).float().mean()
    return dict(loss_cls=loss, acc_cls=acc)


def backbone_with_pretrained(backbone: dict, pretrained: Optional[str]) -> dict:
    """``backbone`` whose init loads ``pretrained`` (``EncoderDecoder``'s ``pretrained`` argument); unchanged for
    ``None``."""
    if pretrained is None:
        return backbone
    return dict(backbone, init_cfg=dict(type='Pretrained', checkpoint=pretrained))


def normalize_cams(cams: Tensor, eps: float = 1e-5) -> Tensor:
    """Per-class max normalisation (W-OoD step/make_cam.py: each class map divided by its max + 1e-5).

    Args:
        cams: (..., K, H, W) non-negative CAMs.

    Returns:
        Tensor: same shape, each (H, W) map in [0, 1).
    """
    peak = cams.flatten(-2).amax(dim=-1)[..., None, None]
    return cams / (peak + eps)


@MODELS.register_module()
class CAMClassifier(BaseModel):
    """Multi-label image classifier whose 1x1 classifier weights give class activation maps.

    ``logits = W . GAP(f(x))`` and ``CAM = ReLU(conv1x1(f(x), W))`` with ``W`` (C_fg, D), no bias (W-OoD
    net/resnet50_cam.py).

    Args:
        backbone: any mmseg backbone config; the feature ``outs[feat_index]`` is used. For the VOC W-OoD setting
            use mmseg ``ResNet`` (v1b, torchvision layout) depth 50 with ``strides=(1, 2, 2, 1)``,
            ``dilations=(1, 1, 1, 1)`` (output stride 16), ``frozen_stages=2``, ``norm_eval=True``.
        num_classes: number of classes **including** background (21 for VOC); the classifier has
            ``num_classes - 1`` outputs (foreground only).
        in_channels: channels of the used backbone feature (2048 for ResNet-50).
        feat_index: which backbone output to use.
        freeze_bn: keep every BatchNorm of the whole model in eval mode during training (IRN's FixedBatchNorm).
        test_cfg: inference options: ``scales`` (tuple, default ``(1.0,)``), ``flip`` (bool, False),
            ``bg_thr`` (background score used by ``predict``, 0.15), ``use_gt_labels`` (keep only the image's
            labelled classes, True, as in CAM seed evaluation), ``score_thr`` (sigmoid threshold for the classes
            when no labels are available, 0.5).
        data_preprocessor: an mmseg ``SegDataPreProcessor`` config.
        init_cfg: mmengine init config.
        train_cfg: unused; accepted, like ``pretrained``, because ``mmseg.apis.init_model`` sets both.
        pretrained: backbone checkpoint (as ``EncoderDecoder``): sets the backbone's ``Pretrained`` init.
    """

    def __init__(self,
                 backbone: dict,
                 num_classes: int,
                 in_channels: int,
                 feat_index: int = -1,
                 freeze_bn: bool = True,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None):
        backbone = backbone_with_pretrained(backbone, pretrained)
        if isinstance(data_preprocessor, dict):  # mmseg's registry: works without a default scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if num_classes < 2:
            raise ValueError(f'CAMClassifier: num_classes includes background and must be >= 2, got {num_classes}')
        self.backbone = MODELS.build(backbone)
        self.num_classes = num_classes
        self.num_fg = num_classes - 1
        self.in_channels = in_channels
        self.feat_index = feat_index
        self.freeze_bn = freeze_bn
        self.classifier = nn.Conv2d(in_channels, self.num_fg, 1, bias=False)
        self.test_cfg = dict(scales=(1.0, ), flip=False, bg_thr=0.15, use_gt_labels=True, score_thr=0.5)
        self.test_cfg.update(test_cfg or {})
        # attributes SegTTAModel / mmseg visualisers look for
        self.out_channels = num_classes
        self.align_corners = False

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> 'CAMClassifier':
        super().train(mode)
        if mode and self.freeze_bn:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    # ------------------------------------------------------------------ features
    def extract_feat(self, inputs: Tensor) -> Tensor:
        """Backbone feature map.

        Args:
            inputs: (N, 3, H, W) normalised images.

        Returns:
            Tensor: (N, D, h, w) feature ``outs[feat_index]``.
        """
        outs = self.backbone(inputs)
        feat = outs[self.feat_index] if isinstance(outs, (list, tuple)) else outs
        if feat.shape[1] != self.in_channels:
            raise ValueError(f'CAMClassifier: backbone feature has {feat.shape[1]} channels, '
                             f'in_channels={self.in_channels}')
        return feat

    def pooled_feat(self, inputs: Tensor) -> Tensor:
        """GAP feature z(x) used by W-OoD's prototypes and metric loss: (N, D)."""
        return self.extract_feat(inputs).mean(dim=(2, 3))

    def logits_from_feat(self, feat: Tensor) -> Tensor:
        """(N, D, h, w) feature -> (N, C_fg) logits = W . GAP(feat)."""
        return self.classifier(feat.mean(dim=(2, 3), keepdim=True)).flatten(1)

    def cam_from_feat(self, feat: Tensor) -> Tensor:
        """(N, D, h, w) feature -> (N, C_fg, h, w) ReLU CAMs."""
        return F.relu(self.classifier(feat))

    def forward_logits(self, inputs: Tensor) -> Tensor:
        """(N, 3, H, W) -> (N, C_fg) classification logits."""
        return self.logits_from_feat(self.extract_feat(inputs))

    @torch.no_grad()
    def multiscale_cam(self,
                       inputs: Tensor,
                       scales: Sequence[float] = (1.0, ),
                       flip: bool = False,
                       out_sizes: Sequence[Tuple[int, int]] = ()) -> List[Tensor]:
        """Sum of ReLU CAMs over scales (and flips), resized to each requested size (W-OoD step/make_cam.py).

        Each scale's input is a bilinear resize of the normalised image (the original rescales the uint8 image
        bicubically before normalising); CAMs are resized with bilinear, ``align_corners=False``.

        Args:
            inputs: (N, 3, H, W) normalised images.
            scales: input scale factors, e.g. ``(1.0, 0.5, 1.5, 2.0)``.
            flip: also run the horizontally flipped image and add its un-flipped CAM.
            out_sizes: output (h, w) sizes; default ``[(H, W)]``.

        Returns:
            list[Tensor]: one (N, C_fg, h, w) tensor per output size (not normalised).
        """
        h, w = inputs.shape[-2:]
        out_sizes = list(out_sizes) or [(h, w)]
        acc = [inputs.new_zeros(inputs.shape[0], self.num_fg, *s) for s in out_sizes]
        for s in scales:
            x = inputs if s == 1.0 else F.interpolate(
                inputs, size=(max(1, round(h * s)), max(1, round(w * s))), mode='bilinear', align_corners=False)
            if flip:
                x = torch.cat([x, x.flip(-1)], dim=0)
            cam = self.cam_from_feat(self.extract_feat(x))
            if flip:
                n = inputs.shape[0]
                cam = cam[:n] + cam[n:].flip(-1)
            for i, size in enumerate(out_sizes):
                acc[i] += F.interpolate(cam, size=size, mode='bilinear', align_corners=False)
        return acc

    # ------------------------------------------------------------------ BaseModel API
    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[SegDataSample]] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List[SegDataSample], Tensor]:
        """mmengine entry point.

        Args:
            inputs: (N, 3, H, W) normalised images.
            data_samples: samples with ``gt_img_labels`` (or ``gt_sem_seg``) for ``loss``.
            mode: ``'loss'`` -> dict of losses; ``'predict'`` -> samples with ``seg_logits`` / ``pred_sem_seg``;
                ``'tensor'`` -> (N, C_fg) logits.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.forward_logits(inputs)
        raise RuntimeError(f'CAMClassifier: invalid mode "{mode}"')

    def loss(self, inputs: Tensor, data_samples: List[SegDataSample]) -> Dict[str, Tensor]:
        """Multi-label soft-margin loss (= BCE with logits averaged over N x C_fg), as IRN/W-OoD."""
        labels = img_labels_from_samples(data_samples, self.num_classes, inputs.device)
        return multilabel_cls_losses(self.forward_logits(inputs), labels)

    def predict(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None) -> List[SegDataSample]:
        """CAMs as a segmentation prediction.

        ``seg_logits`` is (num_classes, H, W): channel 0 = ``test_cfg.bg_thr``, channels 1.. = per-class
        max-normalised multi-scale CAMs (zero for classes not in the image), at the original image size;
        ``pred_sem_seg`` is its argmax. :class:`mmwsss.evaluation.metrics.CAMMetric` sweeps the background
        threshold over ``seg_logits``.
        """
        cfg = self.test_cfg
        n = inputs.shape[0]
        if data_samples is None:
            data_samples = [SegDataSample(metainfo=dict(img_shape=inputs.shape[-2:], ori_shape=inputs.shape[-2:]))
                            for _ in range(n)]
        (cams, ) = self.multiscale_cam(inputs, cfg['scales'], cfg['flip'])
        has_labels = all(('gt_img_labels' in ds) or ('gt_sem_seg' in ds) for ds in data_samples)
        if cfg['use_gt_labels'] and has_labels:
            present = img_labels_from_samples(data_samples, self.num_classes, inputs.device)
        else:
            with torch.no_grad():
                present = (torch.sigmoid(self.forward_logits(inputs)) > cfg['score_thr']).float()
        out = []
        for i, ds in enumerate(data_samples):
            meta = ds.metainfo
            cam = cams[i:i + 1]
            pad = meta.get('padding_size', None)  # (left, right, top, bottom) from SegDataPreProcessor
            if pad is not None:
                h, w = cam.shape[-2:]
                cam = cam[..., pad[2]:h - pad[3], pad[0]:w - pad[1]]
            img_shape = meta.get('img_shape', cam.shape[-2:])
            cam = cam[..., :img_shape[0], :img_shape[1]]
            ori = meta.get('ori_shape', img_shape)
            if tuple(cam.shape[-2:]) != tuple(ori[:2]):
                cam = F.interpolate(cam, size=tuple(ori[:2]), mode='bilinear', align_corners=False)
            if meta.get('flip', False):  # test-time flipped input (TTA pipeline)
                cam = cam.flip(-1) if meta.get('flip_direction', 'horizontal') == 'horizontal' else cam.flip(-2)
            cam = normalize_cams(cam[0]) * present[i][:, None, None]
            bg = cam.new_full((1, *cam.shape[-2:]), float(cfg['bg_thr']))
            scores = torch.cat([bg, cam], dim=0)
            ds.set_data(dict(seg_logits=PixelData(data=scores),
                             pred_sem_seg=PixelData(data=scores.argmax(dim=0, keepdim=True))))
            out.append(ds)
        return out
