"""BESTIE instance model (BESTIE models/; utils/utils.py; utils/loss.py) in the mmdet scope."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.structures import PixelData
from mmdet.models.detectors.base import BaseDetector
from mmdet.registry import MODELS

from .losses import deeplab_ce_loss, weighted_l1_loss, weighted_mse_loss
from .postprocess import get_instances, to_pred_instances
from .refine import refine_label_generation, refine_label_generation_with_point
from ..datasets.transforms.bestie_targets import points_by_class

__all__ = ['BestieHead', 'BESTIE']


@MODELS.register_module()
class BestieHead(BaseModule):
    """Semantic, class-wise centre and offset branches on a stride-4 feature (BESTIE models/hrnet.py).

    The selected backbone levels are resized (bilinear) to the first selected level and
    concatenated (HRNet with ``multiscale_output=False`` gives a single level; ResNet levels are
    fused this way for the small configs). Each branch is Conv3×3 → ReLU → Conv1×1.

    Args:
        in_channels: Channels of each selected level.
        in_index: Indices of the backbone outputs to use.
        num_classes: C foreground classes (semantic branch has C+1, centre branch C channels).
        head_channels: Hidden channels of each branch (256).
        fuse_channels: If set, a 1×1 conv + ReLU first reduces the concatenated levels to this width
            (cheap multi-level fusion for the small configs; ``None`` = the original single-level head).
        init_std: Std of the normal init of every conv (0.001, BESTIE models/hrnet.py).
    """

    def __init__(self, in_channels: Sequence[int], in_index: Sequence[int], num_classes: int,
                 head_channels: int = 256, fuse_channels: Optional[int] = None, init_std: float = 0.001,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        in_channels = [in_channels] if isinstance(in_channels, int) else list(in_channels)
        in_index = [in_index] if isinstance(in_index, int) else list(in_index)
        if len(in_channels) != len(in_index):
            raise ValueError(f'in_channels {in_channels} and in_index {in_index} differ in length')
        self.in_index = in_index
        self.num_classes = num_classes
        total = sum(in_channels)
        self.fuse = None
        if fuse_channels:
            self.fuse = nn.Sequential(nn.Conv2d(total, fuse_channels, 1), nn.ReLU(inplace=True))
            total = fuse_channels

        def branch(k):
            return nn.Sequential(nn.Conv2d(total, head_channels, 3, padding=1), nn.ReLU(inplace=True),
                                 nn.Conv2d(head_channels, k, 1))

        self.seg = branch(num_classes + 1)
        self.center = branch(num_classes)
        self.offset = branch(2)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, init_std)
                nn.init.zeros_(m.bias)

    def init_weights(self):
        # keep the N(0, 0.001) init from __init__ (mmengine would otherwise re-init nothing anyway)
        pass

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Args: feats: backbone outputs. Returns: seg (B, C+1, h, w), center (B, C, h, w), offset (B, 2, h, w)."""
        xs = [feats[i] for i in self.in_index]
        size = xs[0].shape[2:]
        xs = [xs[0]] + [F.interpolate(x, size=size, mode='bilinear', align_corners=False) for x in xs[1:]]
        x = torch.cat(xs, 1) if len(xs) > 1 else xs[0]
        if self.fuse is not None:
            x = self.fuse(x)
        return self.seg(x), self.center(x), self.offset(x)


def _stack_pixel(samples, name: str, key: str, shape, fill: float, dtype) -> torch.Tensor:
    """Stack a per-sample (K, h, w) field, padding to ``shape`` (H, W) with ``fill``."""
    out = []
    for s in samples:
        if not hasattr(s, name):
            raise KeyError(f'data sample lacks "{name}"; add GenerateBestieTargets/PackBestieInputs to the '
                           f'train pipeline ({s.metainfo.get("img_path", "?")})')
        t = getattr(getattr(s, name), key)
        pad_h, pad_w = shape[0] - t.shape[-2], shape[1] - t.shape[-1]
        if pad_h < 0 or pad_w < 0:
            raise ValueError(f'{s.metainfo.get("img_path", "?")}: target {tuple(t.shape)} larger than input {shape}')
        if pad_h or pad_w:
            t = F.pad(t, (0, pad_w, 0, pad_h), value=fill)
        out.append(t.to(dtype))
    return torch.stack(out)


@MODELS.register_module()
class BESTIE(BaseDetector):
    """Bottom-up WSIS network trained with semantic knowledge transfer and self-refinement.

    Args:
        backbone: Backbone config (use ``_scope_='mmseg'`` for mmseg ``HRNet`` / ``ResNetV1c``).
        head: :class:`BestieHead` config.
        num_classes: C foreground classes.
        sup: ``'cls'`` (image labels + PAM peaks), ``'point'`` (GT points) or ``'full'``
            (oracle instance targets; refinement off).
        refine: Enable online self-refinement (BESTIE utils/utils.py, refine_label_generation).
        refine_iter: Refinement is active from this training iteration on (0 = always, BESTIE
            scripts/run_image_labels.sh). The model reads the iteration from its ``train_iter`` attribute, which
            ``SetIterInfoHook`` sets before every training iteration (in every BESTIE config's ``custom_hooks``).
            ``train_iter`` is ``None`` until set: then ``refine_iter=0`` refines and ``refine_iter > 0`` makes
            :meth:`loss` raise, as the schedule position is unknown (set ``model.train_iter`` by hand in a custom
            loop or a test). Inference does not use it.
        refine_cfg: ``sigma, thr, nms_kernel, beta, min_area, max_inst`` (6, 0.3, 41, 3, 50, 5),
            ``cluster_complement`` (True: centre clustering also tests OpenCV's component 0, as BESTIE; see
            :func:`~mmwsss.det.models.refine.cluster_peaks`) and ``drop_points_on_zero_border`` (True: point
            refinement ignores GT points on row or column 0, as BESTIE; see
            :func:`~mmwsss.det.models.refine.refine_label_generation_with_point`).
        loss_weights: ``seg, center, offset`` (1, 200, 0.01, BESTIE utils/loss.py).
        top_k_percent: Hard-pixel fraction of the semantic CE (0.2).
        test_cfg: ``thr`` (0.1), ``nms_kernel`` (41), ``beta`` (3), ``min_area`` (50),
            ``ignore`` (False), ``flip`` (False), ``clean`` (False: use ``gt_img_labels`` to zero
            absent classes; for exporting train-set pseudo labels), ``rescale_offsets`` (False, as BESTIE: the
            offsets, predicted in test-input pixels, are not rescaled when the test resize changed the size;
            True multiplies them by original / input size), ``cluster_complement`` (True, as ``refine_cfg``).
        data_preprocessor: mmdet ``DetDataPreprocessor`` config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 num_classes: int,
                 sup: str = 'cls',
                 refine: bool = True,
                 refine_iter: int = 0,
                 refine_cfg: Optional[dict] = None,
                 loss_weights: Optional[dict] = None,
                 top_k_percent: float = 0.2,
                 test_cfg: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if sup not in ('cls', 'point', 'full'):
            raise ValueError(f"sup must be 'cls', 'point' or 'full', got {sup!r}")
        self.backbone = MODELS.build(backbone)
        head = dict(head)
        head.setdefault('num_classes', num_classes)
        self.head = MODELS.build(head)
        self.num_classes = num_classes
        self.sup = sup
        self.refine = refine and sup != 'full'
        self.refine_iter = refine_iter
        self.train_iter: Optional[int] = None  # set by SetIterInfoHook (see refine_iter)
        self.refine_cfg = dict(sigma=6, thr=0.3, nms_kernel=41, beta=3, min_area=50, max_inst=5,
                               cluster_complement=True, drop_points_on_zero_border=True)
        self.refine_cfg.update(refine_cfg or {})
        self.loss_weights = dict(seg=1.0, center=200.0, offset=0.01)
        self.loss_weights.update(loss_weights or {})
        self.top_k_percent = top_k_percent
        self.test_cfg = dict(thr=0.1, nms_kernel=41, beta=3, min_area=50, ignore=False, flip=False, clean=False,
                             rescale_offsets=False, cluster_complement=True)
        self.test_cfg.update(test_cfg or {})

    # ------------------------------------------------------------------ features / raw outputs
    def extract_feat(self, batch_inputs: torch.Tensor):
        feats = self.backbone(batch_inputs)
        return feats if isinstance(feats, (list, tuple)) else [feats]

    def _forward(self, batch_inputs: torch.Tensor, batch_data_samples=None):
        """Raw outputs upsampled (bilinear) to the input size: seg, center, offset (BESTIE models/hrnet.py)."""
        outs = self.head(self.extract_feat(batch_inputs))
        size = batch_inputs.shape[2:]
        return tuple(F.interpolate(o, size=size, mode='bilinear', align_corners=False) for o in outs)

    # ------------------------------------------------------------------ training
    def _refining(self) -> bool:
        """Whether this training step adds the self-refinement terms (``refine`` and ``train_iter >= refine_iter``)."""
        if not self.refine:
            return False
        if self.refine_iter == 0:
            return True
        if self.train_iter is None:
            raise RuntimeError(f'BESTIE: refine_iter={self.refine_iter} needs the training iteration, but '
                               f'model.train_iter is not set; add dict(type="SetIterInfoHook") to custom_hooks '
                               f'or set model.train_iter')
        return self.train_iter >= self.refine_iter

    def loss(self, batch_inputs: torch.Tensor, batch_data_samples: List) -> Dict[str, torch.Tensor]:
        """Pseudo-label + refined-label losses (BESTIE utils/loss.py "Total")."""
        seg, center, offset = self._forward(batch_inputs)
        shape = batch_inputs.shape[2:]
        dev = batch_inputs.device
        # padding (only when crops differ in size) is ignore for CE and weight 0 for the instance terms
        sem = _stack_pixel(batch_data_samples, 'gt_sem_seg', 'sem_seg', shape, 255, torch.long)[:, 0].to(dev)
        c_t = _stack_pixel(batch_data_samples, 'gt_center', 'data', shape, 0, torch.float32).to(dev)
        o_t = _stack_pixel(batch_data_samples, 'gt_offset', 'data', shape, 0, torch.float32).to(dev)
        w_t = _stack_pixel(batch_data_samples, 'gt_weight', 'data', shape, 0, torch.float32).to(dev)
        lw = self.loss_weights
        loss_seg = lw['seg'] * deeplab_ce_loss(seg, sem, 255, self.top_k_percent)
        lc_p = lw['center'] * weighted_mse_loss(center, c_t, w_t)
        lo_p = lw['offset'] * weighted_l1_loss(offset, o_t, w_t)
        losses = dict(loss_seg=loss_seg)
        if not self._refining():
            losses.update(loss_center=lc_p, loss_offset=lo_p)
            return losses
        labels = torch.stack([s.gt_img_labels.to(dev).float() for s in batch_data_samples])
        if labels.shape[1] == self.num_classes + 1:  # background-first multi-hot (dev_guide)
            labels = labels[:, 1:]
        wsss = torch.where(sem == 255, torch.zeros_like(sem), sem)
        rc = self.refine_cfg
        if self.sup == 'cls':
            r = refine_label_generation(seg, center, offset, labels, wsss, sigma=rc['sigma'], thr=rc['thr'],
                                        nms_kernel=rc['nms_kernel'], beta=rc['beta'], min_area=rc['min_area'],
                                        max_inst=rc['max_inst'], cluster_complement=rc['cluster_complement'])
            lc_r = lw['center'] * weighted_mse_loss(center, r['center'], r['weight'])
            lo_r = lw['offset'] * weighted_l1_loss(offset, r['offset'], r['weight'])
            losses.update(loss_center=0.5 * (lc_p + lc_r), loss_offset=0.5 * (lo_p + lo_r))
        else:  # point: refined offsets only, the centre term keeps the GT-point Gaussians (BESTIE utils/loss.py)
            pts = [points_by_class(s.gt_points.cpu().numpy(), self.num_classes) for s in batch_data_samples]
            r = refine_label_generation_with_point(offset, pts, labels, wsss,
                                                   drop_points_on_zero_border=rc['drop_points_on_zero_border'])
            lo_r = lw['offset'] * weighted_l1_loss(offset, r['offset'], r['weight'])
            losses.update(loss_center=lc_p, loss_offset=0.5 * (lo_p + lo_r))
        return losses

    # ------------------------------------------------------------------ inference
    def predict(self, batch_inputs: torch.Tensor, batch_data_samples: List, rescale: bool = True) -> List:
        """Instances per image as ``pred_instances`` (masks at ``ori_shape`` when ``rescale``).

        Each sample also gets ``pred_sem_seg`` (``PixelData``, (1, H, W) long, 0 = background, class ``c + 1``
        for foreground class ``c``): the semantic map the instances are cut from, the argmax of the
        (flip-averaged, optionally cleaned) class probabilities, as the first output of BESTIE's
        ``get_ins_map``.
        """
        cfg = self.test_cfg
        feats_out = self.head(self.extract_feat(batch_inputs))
        if cfg['flip']:
            f_out = self.head(self.extract_feat(batch_inputs.flip(-1)))
        for i, s in enumerate(batch_data_samples):
            img_h, img_w = s.metainfo.get('img_shape', batch_inputs.shape[2:])[:2]
            out_h, out_w = (s.metainfo['ori_shape'][:2] if rescale else (img_h, img_w))

            def up(t, flip=False):
                t = t[i:i + 1]
                t = F.interpolate(t, size=batch_inputs.shape[2:], mode='bilinear', align_corners=False)
                if flip:
                    t = t.flip(-1)
                t = t[..., :img_h, :img_w]
                if (img_h, img_w) != (out_h, out_w):
                    t = F.interpolate(t, size=(out_h, out_w), mode='bilinear', align_corners=False)
                return t[0]

            prob = torch.softmax(up(feats_out[0]), 0)
            ctr = up(feats_out[1])
            off = up(feats_out[2])
            if cfg['flip']:  # prob and centres flip-averaged, offsets from the plain pass only (BESTIE utils.py)
                prob = 0.5 * (prob + torch.softmax(up(f_out[0], True), 0))
                ctr = 0.5 * (ctr + up(f_out[1], True))
            if cfg['rescale_offsets']:
                # offsets are in input pixels; rescale them to the output grid. BESTIE's get_ins_map scales by
                # target/output size after upsampling, i.e. by 1, so the default keeps the offsets as predicted
                off = torch.stack([off[0] * (out_h / img_h), off[1] * (out_w / img_w)])
            img_labels = None
            if cfg['clean'] and hasattr(s, 'gt_img_labels'):
                img_labels = s.gt_img_labels.float()
                if img_labels.numel() == self.num_classes + 1:
                    img_labels = img_labels[1:]
            r = get_instances(prob, ctr, off, thr=cfg['thr'], nms_kernel=cfg['nms_kernel'], beta=cfg['beta'],
                              min_area=cfg['min_area'], ignore=cfg['ignore'], img_labels=img_labels,
                              cluster_complement=cfg['cluster_complement'])
            s.pred_instances = to_pred_instances(r).to(batch_inputs.device)
            s.pred_sem_seg = PixelData(data=r['sem_seg'][None].to(batch_inputs.device))
        return batch_data_samples
