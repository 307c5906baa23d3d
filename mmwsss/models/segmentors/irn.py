"""Inter-pixel relation network (IRN): boundary + displacement heads on a frozen CAM backbone (IRN, Ahn et al. 2019)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor

from mmwsss.models.utils.image_input import image_to_input
from mmwsss.models.utils.irn_affinity import affinity_labels, edge_to_affinity, path_offsets, shift_map

__all__ = ['IRNet', 'affinity_displacement_loss']


def affinity_displacement_loss(edge_prob: Tensor,
                               disp: Tensor,
                               label: Tensor,
                               radius: int = 10,
                               ignore_index: int = 255,
                               pair_sources: str = 'irn') -> Dict[str, Tensor]:
    """IRN's AffinityDisplacementLoss (``net/resnet50_irn.py``), split into weighted terms that sum to the total.

    ``aff = 1 - max(edge along path)``; ``pos = (mean_bg(-log aff) + mean_fg(-log aff)) / 2``;
    ``neg = mean(-log(1 + 1e-5 - aff))``; ``dp_fg = mean_fg |d_src - d_dst - (dst - src)|``,
    ``dp_bg = mean_bg |d_src - d_dst|`` (each averaged over the 2 components);
    ``total = (pos + neg) / 2 + (dp_fg + dp_bg) / 2``.

    Args:
        edge_prob: (N, h, w) boundary probabilities (sigmoid of the edge logits).
        disp: (N, 2, h, w) displacement field (dy, dx) in grid cells.
        label: (N, h, w) reduced IR labels {0, 1..C, 255}.
        radius: pair radius (10).
        ignore_index: the unsure IR label.
        pair_sources: ``'irn'`` (IRN's pair set: sources outside the ``radius - 1`` border band, see
            :func:`~mmwsss.models.utils.irn_affinity.irn_source_mask`) or ``'all'`` (every in-map pair).

    Returns:
        dict: ``loss_aff_bg`` (= bg/4), ``loss_aff_fg`` (= fg/4), ``loss_aff_neg`` (= neg/2), ``loss_dp_fg``
        (= dp_fg/2), ``loss_dp_bg`` (= dp_bg/2).
    """
    aff, _ = edge_to_affinity(edge_prob, radius)  # (N, P, h, w)
    bg, fg, neg = affinity_labels(label, radius, ignore_index, pair_sources)
    bg, fg, neg = bg.float(), fg.float(), neg.float()
    pos_l = -torch.log(aff + 1e-5)
    neg_l = -torch.log(1.0 + 1e-5 - aff)
    l_bg = (bg * pos_l).sum() / (bg.sum() + 1e-5)
    l_fg = (fg * pos_l).sum() / (fg.sum() + 1e-5)
    l_neg = (neg * neg_l).sum() / (neg.sum() + 1e-5)

    dp_fg_terms, dp_bg_terms = [], []
    for p, ((dy, dx), _) in enumerate(path_offsets(radius)):
        diff = disp - shift_map(disp, dy, dx, 0.0)  # d_src - d_dst
        target = disp.new_tensor([dy, dx]).view(1, 2, 1, 1)
        dp_fg_terms.append((diff - target).abs().mean(dim=1))
        dp_bg_terms.append(diff.abs().mean(dim=1))
    dp_fg = (fg * torch.stack(dp_fg_terms, 1)).sum() / (fg.sum() + 1e-5)
    dp_bg = (bg * torch.stack(dp_bg_terms, 1)).sum() / (bg.sum() + 1e-5)
    return dict(loss_aff_bg=l_bg / 4, loss_aff_fg=l_fg / 4, loss_aff_neg=l_neg / 2, loss_dp_fg=dp_fg / 2,
                loss_dp_bg=dp_bg / 2)


def _conv_gn_relu(cin: int, cout: int, groups: int, k: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.GroupNorm(groups, cout),
                         nn.ReLU(inplace=True))


@MODELS.register_module()
class IRNet(BaseModel):
    """Boundary (edge) and displacement branches on every stage of a frozen backbone.

    The backbone (same weights as the CAM classifier) is frozen and kept in eval mode; only the heads train. Each
    stage feature goes through 1x1 conv-GN-ReLU, is upsampled to the finest (stride-4) stage, concatenated, and
    mapped to 1 boundary logit (edge branch) or a 2-channel displacement field (displacement branch). IRN uses the
    5 torchvision stages (stem + 4 layers); an mmseg backbone exposes its 4 residual stages, so 4 are used here.

    Args:
        backbone: mmseg backbone config with ``out_indices`` of every stage (e.g. (0, 1, 2, 3)).
        in_channels: channels of the backbone outputs, e.g. (256, 512, 1024, 2048).
        edge_channels: per-stage channels of the edge branch (32).
        dp_channels: per-stage channels of the displacement branch.
        radius: pair radius used in training (10).
        pair_sources: which pixels are pair sources in the loss: ``'irn'`` (default, as IRN's ``PathIndex``: all
            but a ``radius - 1`` band at the bottom, left and right of the crop) or ``'all'``.
        test_pad_size: :meth:`predict_edge` zero-pads (after normalisation) each input right/bottom to at least
            this size, as W-OoD's ``EdgeDisplacement(crop_size=512)`` (``net/resnet50_irn.py``); the GroupNorm
            statistics then include the padding, as in training on padded crops. ``None`` (default): no padding,
            as IRN's ``EdgeDisplacement``.
        data_preprocessor: ``SegDataPreProcessor`` config (seg_pad_val 255).
        init_cfg: e.g. ``dict(type='Pretrained', checkpoint=<cam ckpt>, prefix='backbone.')`` on the backbone.
        train_cfg: unused; accepted, like ``pretrained``, because ``mmseg.apis.init_model`` sets both.
        pretrained: backbone checkpoint: sets the backbone's ``Pretrained`` init.
    """

    def __init__(self,
                 backbone: dict,
                 in_channels: Sequence[int],
                 edge_channels: int = 32,
                 dp_channels: Sequence[int] = (64, 128, 256, 256),
                 dp_hidden: int = 256,
                 radius: int = 10,
                 ignore_index: int = 255,
                 pair_sources: str = 'irn',
                 test_pad_size: Optional[int] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None):
        from .cam_classifier import backbone_with_pretrained
        backbone = backbone_with_pretrained(backbone, pretrained)
        if isinstance(data_preprocessor, dict):  # mmseg's registry: works without a default scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        if len(dp_channels) != len(in_channels):
            raise ValueError(f'IRNet: dp_channels {dp_channels} and in_channels {in_channels} differ in length')
        self.in_channels = tuple(in_channels)
        self.radius = radius
        self.ignore_index = ignore_index
        if pair_sources not in ('irn', 'all'):
            raise ValueError(f"IRNet: pair_sources must be 'irn' or 'all', got {pair_sources!r}")
        self.pair_sources = pair_sources
        self.test_pad_size = test_pad_size
        self.edge_convs = nn.ModuleList([_conv_gn_relu(c, edge_channels, 4) for c in in_channels])
        self.edge_out = nn.Conv2d(edge_channels * len(in_channels), 1, 1, bias=True)
        self.dp_convs = nn.ModuleList([_conv_gn_relu(c, d, 8) for c, d in zip(in_channels, dp_channels)])
        self.dp_fuse = _conv_gn_relu(sum(dp_channels), dp_hidden, 16)
        self.dp_out = nn.Conv2d(dp_hidden, 2, 1, bias=True)

    def train(self, mode: bool = True) -> 'IRNet':
        super().train(mode)
        self.backbone.eval()  # frozen: BN statistics and dropout never change
        return self

    def _features(self, inputs: Tensor) -> List[Tensor]:
        with torch.no_grad():
            feats = self.backbone(inputs)
        feats = [f.detach() for f in feats]
        if tuple(f.shape[1] for f in feats) != self.in_channels:
            raise ValueError(f'IRNet: backbone channels {[f.shape[1] for f in feats]} != in_channels '
                             f'{self.in_channels}')
        return feats

    def forward_heads(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """(N, 3, H, W) -> edge logits (N, 1, h, w) and displacement (N, 2, h, w) at the finest stage."""
        feats = self._features(inputs)
        size = feats[0].shape[-2:]

        def fuse(convs):
            outs = []
            for conv, f in zip(convs, feats):
                y = conv(f)
                if y.shape[-2:] != size:
                    y = F.interpolate(y, size=size, mode='bilinear', align_corners=False)
                outs.append(y)
            return torch.cat(outs, dim=1)

        edge = self.edge_out(fuse(self.edge_convs))
        disp = self.dp_out(self.dp_fuse(fuse(self.dp_convs)))
        return edge, disp

    def forward(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List[SegDataSample], Tuple[Tensor, Tensor]]:
        """``loss`` (IR labels in ``gt_sem_seg``), ``predict`` (``pred_edge`` per sample) or ``tensor``."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.forward_heads(inputs)
        raise RuntimeError(f'IRNet: invalid mode "{mode}"')

    def loss(self, inputs: Tensor, data_samples: List[SegDataSample]) -> Dict[str, Tensor]:
        edge, disp = self.forward_heads(inputs)
        label = torch.stack([ds.gt_sem_seg.data for ds in data_samples]).float()  # (N, 1, H, W)
        # IRN reduces the IR label to the feature grid with PIL's nearest rescale (``imutils.pil_rescale(label,
        # 0.25, 0)``), which samples pixel centres (4i + 2 for a x0.25 rescale): torch's 'nearest-exact'
        label = F.interpolate(label, size=edge.shape[-2:], mode='nearest-exact')[:, 0].long()
        return affinity_displacement_loss(torch.sigmoid(edge[:, 0]), disp, label, self.radius, self.ignore_index,
                                          self.pair_sources)

    def predict(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None) -> List[SegDataSample]:
        edge, _ = self.forward_heads(torch.cat([inputs, inputs.flip(-1)], 0))
        n = inputs.shape[0]
        prob = torch.sigmoid((edge[:n] + edge[n:].flip(-1)) / 2)
        data_samples = data_samples or [SegDataSample() for _ in range(n)]
        for i, ds in enumerate(data_samples):
            ds.set_data(dict(pred_edge=PixelData(data=prob[i])))
        return data_samples

    @torch.no_grad()
    def predict_edge(self, image: np.ndarray, out_size: Optional[Tuple[int, int]] = None) -> Tensor:
        """Boundary map of one RGB image, averaged with its flip (IRN ``step/make_sem_seg_labels.py``).

        Args:
            image: (H, W, 3) uint8 RGB.
            out_size: (h, w) to resize the stride-4 map to (the strided CAM size).

        Returns:
            Tensor: (h, w) probabilities ``sigmoid((e + flip(e_f)) / 2)``.
        """
        x = image_to_input(self, image)
        x = torch.cat([x, x.flip(-1)])
        h, w = x.shape[-2:]
        if self.test_pad_size:
            # W-OoD's EdgeDisplacement: each (flipped) input zero-padded right/bottom to the crop size after
            # normalisation, the stride-4 output cropped back to ((h - 1) // 4 + 1, (w - 1) // 4 + 1)
            ph, pw = max(h, self.test_pad_size), max(w, self.test_pad_size)
            edge, _ = self.forward_heads(F.pad(x, (0, pw - w, 0, ph - h)))
            edge = edge[..., :(h - 1) // 4 + 1, :(w - 1) // 4 + 1]
        else:
            edge, _ = self.forward_heads(x)
        prob = torch.sigmoid((edge[0:1] + edge[1:2].flip(-1)) / 2)
        if out_size is not None and tuple(prob.shape[-2:]) != tuple(out_size):
            prob = F.interpolate(prob, size=tuple(out_size), mode='bilinear', align_corners=False)
        return prob[0, 0]
