"""wsscoseg segmentor: Initial Mask Generator and the two-branch final model (wsscoseg final_fcn_resnet50.py;
est_voc_train_masks.py; eval_seg_model.py; config.py).

Without ``global_branch`` this is the Initial Mask Generator (backbone + :class:`WSSCosegHead`, CE). With it, a
separate non-dilated copy of the backbone's last stages (res4/res5), global max pooling and a small 1x1 MLP give a
per-image class prior ``g`` that is added to the segmentation logits before the softmax, trained with an extra
BCE on the class-presence vector of the (pseudo) mask.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import add_prefix
from torch import Tensor

__all__ = ['WSSCosegSegmentor', 'GlobalPriorBranch', 'upsample_probs_x8', 'presence_from_samples']


UPSAMPLE_MODES = ('deconv', 'resize')


def _bilinear_x2_deconv(probs: Tensor) -> Tensor:
    """One fixed bilinear x2 deconvolution: depthwise, kernel 4, stride 2, pad 1, taps 1/4, 3/4, 3/4, 1/4 per axis
    (the bilinear initialisation of a factor-2 kernel); the input is zero outside its border."""
    c = probs.shape[1]
    taps = torch.tensor([0.25, 0.75, 0.75, 0.25], dtype=probs.dtype, device=probs.device)
    kernel = (taps[:, None] * taps[None, :]).expand(c, 1, 4, 4)
    return F.conv_transpose2d(probs, kernel, stride=2, padding=1, groups=c)


def upsample_probs_x8(probs: Tensor, out_hw: Sequence[int], factor: int = 8, mode: str = 'deconv') -> Tensor:
    """Upsample low-resolution probabilities by ``factor`` and crop to ``out_hw`` (wsscoseg final_fcn_resnet50.py
    inference, wsscoseg est_voc_train_masks.py).

    Args:
        probs: (N, C, h, w) probabilities.
        out_hw: (H, W) to crop to; must satisfy ``H <= factor * h`` and ``W <= factor * w``.
        factor: A power of two.
        mode: ``'deconv'``: log2(factor) fixed bilinear x2 deconvolutions (kernel 4, stride 2, pad 1), as the
            original (three for x8). Each one equals a bilinear x2 resize (``align_corners=False``) except within
            one output pixel of the border, where the zero padding lowers the sum of the probabilities (to 0.18
            at the corners after three). ``'resize'``: one bilinear x``factor`` resize (``align_corners=False``);
            it interpolates straight between the low-resolution samples, where the cascade interpolates between
            already interpolated ones, so the two differ inside the image too (docs/fidelity.md).

    Returns:
        Tensor: (N, C, H, W).
    """
    if mode not in UPSAMPLE_MODES:
        raise ValueError(f'upsample_probs_x8: mode must be one of {UPSAMPLE_MODES}, got {mode!r}')
    h, w = probs.shape[-2:]
    H, W = int(out_hw[0]), int(out_hw[1])
    if H > factor * h or W > factor * w:
        raise ValueError(f'upsample_probs_x8: output {H}x{W} is larger than {factor}x the {h}x{w} grid')
    steps = int(round(math.log2(factor))) if factor >= 1 else -1
    if steps < 0 or 2**steps != factor:
        raise ValueError(f'upsample_probs_x8: factor must be a power of two, got {factor}')
    if mode == 'deconv':
        up = probs
        for _ in range(steps):
            up = _bilinear_x2_deconv(up)
    else:
        up = F.interpolate(probs, size=(factor * h, factor * w), mode='bilinear', align_corners=False)
    return up[..., :H, :W]


def presence_from_samples(data_samples: Sequence, num_classes: int, source: str = 'img_labels') -> Tensor:
    """Class-presence targets of the global branch (wsscoseg final_fcn_resnet50.py): (N, num_classes) float, background
    at index 0.

    Args:
        data_samples: N samples.
        num_classes: Classes including background.
        source: ``'img_labels'``: ``gt_img_labels`` (with ``LoadWSSSAnnotations(img_labels_from='seg')`` these are the
            classes of the whole, un-cropped mask, as the original; background is always 1 there);
            ``'seg'``: the classes in the (cropped) ``gt_sem_seg``, background only when it appears.
    """
    if source not in ('img_labels', 'seg'):
        raise ValueError(f"presence source must be 'img_labels' or 'seg', got {source!r}")
    out = []
    for ds in data_samples:
        name = ds.metainfo.get('img_path', '?')
        if source == 'img_labels':
            if 'gt_img_labels' not in ds:
                raise ValueError(f'{name}: data sample has no gt_img_labels (use LoadWSSSAnnotations + PackWSSSInputs '
                                 "or global_branch.presence_from='seg')")
            vec = torch.as_tensor(ds.gt_img_labels).flatten().float()
            if vec.numel() != num_classes:
                raise ValueError(f'{name}: gt_img_labels has {vec.numel()} entries, expected {num_classes}')
        else:
            if 'gt_sem_seg' not in ds:
                raise ValueError(f'{name}: data sample has no gt_sem_seg')
            values = torch.unique(ds.gt_sem_seg.data)
            values = values[(values >= 0) & (values < num_classes)].long()
            vec = torch.zeros(num_classes)
            vec[values] = 1.0
        out.append(vec)
    return torch.stack(out)


class GlobalPriorBranch(nn.Module):
    """Separate non-dilated copy of the last ResNet stages + GMP + 1x1 MLP (wsscoseg final_fcn_resnet50.py "global
    branch", wsscoseg config.py).

    The stages are rebuilt with the backbone's own ``make_res_layer`` at stride 2 and dilation 1 (res4a and
    res5a stride 2: output stride 32 from the stride-8 trunk), so their parameters have the same shapes as
    the backbone's dilated stages and can be copied from them (wsscoseg cores/symbols/final_fcn_resnet50.py
    initialisation).

    Args:
        backbone: The built mmseg ``ResNet``/``ResNetV1c``/``ResNetV1d`` (read for its architecture only).
        num_classes: Classes including background.
        in_index: Backbone output feeding the branch (1 = res3 output, the end of the shared trunk).
        stages: Backbone stages (0-based) to copy (res4, res5 = 2, 3).
        channels: Widths of ``g_multi_fc1``/``g_multi_fc2`` (1024, 1024 in the original).
        dropout_ratio: Dropout after each of them (0.5).
    """

    def __init__(self, backbone: nn.Module, num_classes: int, in_index: int = 1, stages: Sequence[int] = (2, 3),
                 channels: Sequence[int] = (1024, 1024), dropout_ratio: float = 0.5):
        super().__init__()
        if not hasattr(backbone, 'make_res_layer') or not hasattr(backbone, 'stage_blocks'):
            raise TypeError(f'GlobalPriorBranch: needs an mmseg ResNet backbone, got {type(backbone).__name__}')
        stages = tuple(int(s) for s in stages)
        if not stages or list(stages) != list(range(stages[0], stages[0] + len(stages))):
            raise ValueError(f'GlobalPriorBranch: stages must be consecutive, got {stages}')
        if stages[0] != in_index + 1 or stages[-1] >= len(backbone.stage_blocks):
            raise ValueError(f'GlobalPriorBranch: stages {stages} must follow in_index={in_index} and exist in the '
                             f'{len(backbone.stage_blocks)}-stage backbone')
        self.in_index = in_index
        self.stages = stages
        self.norm_eval = getattr(backbone, 'norm_eval', False)
        expansion = backbone.block.expansion
        inplanes = backbone.base_channels * 2**in_index * expansion
        layers = []
        for i in stages:
            planes = backbone.base_channels * 2**i
            layers.append(
                backbone.make_res_layer(
                    block=backbone.block, inplanes=inplanes, planes=planes, num_blocks=backbone.stage_blocks[i],
                    stride=2, dilation=1, style=backbone.style, avg_down=backbone.avg_down,
                    with_cp=backbone.with_cp, conv_cfg=backbone.conv_cfg, norm_cfg=backbone.norm_cfg,
                    dcn=backbone.dcn if backbone.stage_with_dcn[i] else None, plugins=None, multi_grid=None,
                    contract_dilation=backbone.contract_dilation))
            inplanes = planes * expansion
        self.layers = nn.Sequential(*layers)
        fcs = []
        for width in channels:
            fcs += [nn.Conv2d(inplanes, width, 1), nn.ReLU(inplace=True)]
            if dropout_ratio > 0:
                fcs.append(nn.Dropout(dropout_ratio))
            inplanes = width
        self.fcs = nn.Sequential(*fcs)
        self.g_score = nn.Conv2d(inplanes, num_classes, 1)
        for m in list(self.fcs) + [self.g_score]:
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.01)  # wsscoseg cores/symbols/final_fcn_resnet50.py: new heads N(0, 0.01)
                nn.init.zeros_(m.bias)

    def copy_from(self, backbone: nn.Module) -> None:
        """Copy the backbone's stage weights and BN statistics into the branch (wsscoseg final_fcn_resnet50.py initialisation)."""
        for layer, i in zip(self.layers, self.stages):
            layer.load_state_dict(getattr(backbone, backbone.res_layers[i]).state_dict())

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Backbone outputs -> (N, num_classes) global logits ``g``."""
        x = self.layers(feats[self.in_index])
        x = F.adaptive_max_pool2d(x, 1)  # global max pooling (wsscoseg cores/symbols/final_fcn_resnet50.py)
        return self.g_score(self.fcs(x)).flatten(1)

    def train(self, mode: bool = True) -> 'GlobalPriorBranch':
        super().train(mode)
        if mode and self.norm_eval:  # frozen global BN statistics like the backbone (wsscoseg final_fcn_resnet50.py)
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self


@MODELS.register_module()
class WSSCosegSegmentor(EncoderDecoder):
    """EncoderDecoder for wsscoseg's Initial Mask Generator (``global_branch=None``) and final model.

    Training: logits ``S`` (N, C, h, w) of the head; with the global branch ``S + g`` (``g`` (N, C) broadcast over
    h x w) goes into the head's CE, plus ``loss_weight * mean_{n,c} BCE(sigmoid(g), t)`` with ``t`` the class
    presence of the mask (wsscoseg cores/symbols/final_fcn_resnet50.py; ``loss_weight`` 0.25 matches the 4-GPU reference
    run).

    Test (``test_cfg.mode='whole'``): softmax of the (merged) low-resolution logits, x8 upsampling
    (``test_cfg.upsample``: ``'deconv'``, the original's three fixed bilinear x2 deconvolutions, by default;
    ``'resize'``, one bilinear x8 resize; see :func:`upsample_probs_x8`), crop, resize to the original size
    (wsscoseg cores/symbols/final_fcn_resnet50.py inference, wsscoseg est_voc_train_masks.py). ``seg_logits`` holds
    the log-probabilities, so ``WSSSTTAModel(merge='prob')`` (``tools/test.py --ms``) sums probabilities across
    scales and ``--crf`` applies the CRF to them (wsscoseg eval_seg_model.py). ``mode='slide'`` uses mmseg's
    inference on the merged logits.

    Args:
        global_branch: ``None`` or a dict with ``in_index`` (1), ``stages`` ((2, 3)), ``channels`` ((1024, 1024)),
            ``dropout_ratio`` (0.5), ``loss_weight`` (0.25), ``presence_from`` ('img_labels' or 'seg') and
            ``copy_backbone_weights`` (True: ``init_weights`` copies the initialised backbone stages into the
            branch).
        **kwargs: :class:`mmseg.models.EncoderDecoder` arguments.
    """

    def __init__(self, *args, global_branch: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.global_cfg = None
        self.global_branch = None
        if global_branch is not None:
            cfg = dict(in_index=1, stages=(2, 3), channels=(1024, 1024), dropout_ratio=0.5, loss_weight=0.25,
                       presence_from='img_labels', copy_backbone_weights=True)
            unknown = set(global_branch) - set(cfg)
            if unknown:
                raise ValueError(f'WSSCosegSegmentor: unknown global_branch keys {sorted(unknown)}')
            cfg.update(global_branch)
            if cfg['presence_from'] not in ('img_labels', 'seg'):
                raise ValueError(f"global_branch.presence_from must be 'img_labels' or 'seg', "
                                 f"got {cfg['presence_from']!r}")
            out_indices = tuple(getattr(self.backbone, 'out_indices', ()))
            if cfg['in_index'] not in out_indices:
                raise ValueError(f"WSSCosegSegmentor: the backbone's out_indices {out_indices} must include the "
                                 f"global branch's in_index {cfg['in_index']}")
            self.global_cfg = cfg
            self.global_branch = GlobalPriorBranch(self.backbone, self.num_classes, cfg['in_index'], cfg['stages'],
                                                   cfg['channels'], cfg['dropout_ratio'])

    @property
    def with_global_branch(self) -> bool:
        return self.global_branch is not None

    def init_weights(self):
        super().init_weights()
        if self.with_global_branch and self.global_cfg['copy_backbone_weights']:
            # after the backbone's (ImageNet) init so the copy starts from the same weights (wsscoseg
            # cores/symbols/final_fcn_resnet50.py)
            self.global_branch.copy_from(self.backbone)

    # ------------------------------------------------------------------ logits
    def _logits_from_feats(self, feats: Sequence[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
        seg = self.decode_head.forward(feats)
        if not self.with_global_branch:
            return seg, None
        g = self.global_branch(feats)
        return seg + g[:, :, None, None], g

    def lowres_logits(self, inputs: Tensor) -> Tensor:
        """(N, 3, H, W) normalised images -> (N, C, h, w) merged logits ``S (+ g)`` at the head resolution."""
        return self._logits_from_feats(self.extract_feat(inputs))[0]

    def _forward(self, inputs: Tensor, data_samples=None) -> Tensor:
        return self.lowres_logits(inputs)

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Merged logits resized to the input size (mmseg inference; ``slide`` mode)."""
        logits = self.lowres_logits(inputs)
        return resize(logits, size=inputs.shape[2:], mode='bilinear', align_corners=self.align_corners)

    # ------------------------------------------------------------------ training
    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        """Args: inputs (N, 3, H, W) normalised crops; data_samples with ``gt_sem_seg`` (and ``gt_img_labels``)."""
        feats = self.extract_feat(inputs)
        logits, g = self._logits_from_feats(feats)
        losses = add_prefix(self.decode_head.loss_by_feat(logits, data_samples), 'decode')
        if g is not None:
            t = presence_from_samples(data_samples, self.num_classes, self.global_cfg['presence_from']).to(g)
            bce = F.binary_cross_entropy_with_logits(g, t)  # mean over images and classes (wsscoseg final_fcn_resnet50.py)
            losses['global.loss_bce'] = self.global_cfg['loss_weight'] * bce
            with torch.no_grad():
                losses['global.acc_presence'] = ((g > 0).float() == t).float().mean()
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(feats, data_samples))
        return losses

    # ------------------------------------------------------------------ inference
    def predict(self, inputs: Tensor, data_samples=None) -> List:
        if self.test_cfg.get('mode', 'whole') != 'whole':
            return super().predict(inputs, data_samples)
        if data_samples is None:
            from mmseg.structures import SegDataSample
            shape = tuple(inputs.shape[-2:])
            data_samples = [SegDataSample(metainfo=dict(ori_shape=shape, img_shape=shape))
                            for _ in range(inputs.shape[0])]
        logits = self.lowres_logits(inputs)
        # the output stride: the power of two the grid was divided by (ceil-sized grids of odd inputs
        # make the plain ratio smaller, e.g. 52 / 7)
        ratio = max(inputs.shape[-2] / logits.shape[-2], inputs.shape[-1] / logits.shape[-1])
        probs_all = upsample_probs_x8(F.softmax(logits.float(), dim=1), inputs.shape[-2:],
                                      factor=2**max(0, math.ceil(math.log2(ratio) - 1e-9)),
                                      mode=self.test_cfg.get('upsample', 'deconv'))
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            probs = probs_all[i:i + 1]
            pad = meta.get('padding_size', None)  # (left, right, top, bottom), SegDataPreProcessor
            if pad is not None:
                h, w = probs.shape[-2:]
                probs = probs[..., pad[2]:h - pad[3], pad[0]:w - pad[1]]
            img_shape = tuple(meta.get('img_shape', probs.shape[-2:]))[:2]
            probs = probs[..., :img_shape[0], :img_shape[1]]
            if meta.get('flip', False):
                direction = meta.get('flip_direction', 'horizontal')
                probs = probs.flip(-1) if direction == 'horizontal' else probs.flip(-2)
            ori = tuple(meta.get('ori_shape', img_shape))[:2]
            if tuple(probs.shape[-2:]) != ori:
                probs = F.interpolate(probs, size=ori, mode='bilinear', align_corners=False)
            probs = probs[0]
            sample.set_data({
                'seg_logits': PixelData(data=probs.clamp_min(1e-12).log()),
                'pred_sem_seg': PixelData(data=probs.argmax(0, keepdim=True))
            })
        return data_samples
