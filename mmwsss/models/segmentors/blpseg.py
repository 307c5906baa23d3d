"""BLPSeg segmentor (Wang et al., TIP 2023; BLPSeg lib/net/blpseg.py).

Forward (train and test): backbone -> :class:`~mmwsss.models.heads.BLPHead` (PPM + FPN, stride 4)
-> segmentation MLP -> LAM (:class:`~mmwsss.models.necks.LocalAggregationModule`, needs the image)
-> bilinear upsampling to the input size. In training the annotation-probability MLP runs on the
detached decoder features; both logits are upsampled to the crop before the losses (BLPSeg lib/net/blpseg.py):

    L = CE_w(scribble head, scribble; "not annotated" weight 0.02) + BLP(seg, q = softmax(scribble head), Y)

``Y`` are the scribbles while ``self_training`` is off and the 0.9-confidence pseudo labels once it is on
(BLPSeg lib/net/loss.py, BLPLoss). :class:`~mmwsss.engine.hooks.PseudoLabelSwitchHook` turns it on at the configured iteration.
"""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from ..losses.blp_loss import blp_pseudo_labels, scribble_img_labels

__all__ = ['BLPSeg']


@MODELS.register_module()
class BLPSeg(EncoderDecoder):
    """Scribble-supervised BLPSeg: EncoderDecoder + LAM + annotation head + BLP loss + self-training.

    Args:
        backbone: Backbone config (ResNet-101 deep stem 64-64-128 in the paper setting).
        decode_head: :class:`BLPHead` config.
        lam: :class:`LocalAggregationModule` config, or ``None`` to disable LAM (ablation).
        pseudo_threshold: Confidence threshold of the pseudo labels (0.9).
        scribble_key: Data-sample field holding the scribble map (``0..C-1``, ``C`` = not annotated,
            ``255`` = ignore), as packed by ``PackWSSSInputs``.
        ``test_cfg['resize_align_corners']``: ``align_corners`` of the final resize of the logits to the
            original image size (mmseg's ``postprocess_result``). BLPSeg ``test.py`` resizes every TTA output
            to the original size with ``align_corners=True`` (the default here); ``False`` is mmseg's
            behaviour (the head's ``align_corners``). The upsampling to the network input inside the forward
            keeps the head's ``align_corners`` (``False``, as the original network).
        **kwargs: ``EncoderDecoder`` arguments (``data_preprocessor``, ``pretrained``, ``train_cfg``,
            ``test_cfg``, ``neck``, ``init_cfg``). Auxiliary heads are not supported.
    """

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 lam: Optional[dict] = dict(type='LocalAggregationModule', embed_dims=256, sigma=6.0),
                 pseudo_threshold: float = 0.9,
                 scribble_key: str = 'gt_scribble',
                 **kwargs):
        if kwargs.get('auxiliary_head') is not None:
            raise ValueError('BLPSeg does not use auxiliary heads (the original has none)')
        super().__init__(backbone=backbone, decode_head=decode_head, **kwargs)
        if not hasattr(self.decode_head, 'forward_train') or not hasattr(self.decode_head, 'loss_scribble'):
            raise TypeError(f'BLPSeg needs a BLPHead-like decode head, got {type(self.decode_head).__name__}')
        self.lam = MODELS.build(lam) if lam is not None else None
        self.pseudo_threshold = pseudo_threshold
        self.scribble_key = scribble_key
        # train on pseudo labels instead of scribbles; set by PseudoLabelSwitchHook (or by hand in custom loops)
        self.self_training = False
        self.resize_align_corners = bool((self.test_cfg or {}).get('resize_align_corners', True))

    def postprocess_result(self, seg_logits: Tensor, data_samples=None):
        """mmseg's post-processing (padding removal, un-flip, resize to the original size), the resize with
        ``test_cfg['resize_align_corners']`` (BLPSeg ``test.py``: ``True``)."""
        head_align = self.align_corners
        self.align_corners = self.resize_align_corners
        try:
            return super().postprocess_result(seg_logits, data_samples)
        finally:
            self.align_corners = head_align

    # ----------------------------------------------------------------------------------- forward
    def _aggregate(self, seg_logits: Tensor, inputs: Tensor) -> Tensor:
        if self.lam is not None:
            seg_logits = self.lam(seg_logits, inputs)
        return seg_logits

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Logits at input size: backbone -> head -> LAM -> bilinear upsampling, (N, C, H, W)."""
        x = self.extract_feat(inputs)
        seg = self._aggregate(self.decode_head.forward(x), inputs)
        return resize(seg, size=inputs.shape[2:], mode='bilinear', align_corners=self.align_corners)

    def _forward(self, inputs: Tensor, data_samples=None) -> Tensor:
        """Stride-4 logits after LAM (``mode='tensor'``), (N, C, H/4, W/4)."""
        x = self.extract_feat(inputs)
        return self._aggregate(self.decode_head.forward(x), inputs)

    # ------------------------------------------------------------------------------------ losses
    def _use_pseudo_labels(self) -> bool:
        return bool(self.self_training)

    def _stack_scribbles(self, data_samples, size) -> Tensor:
        """(N, H, W) long scribbles, padded right/bottom with 255 like the image batch."""
        h, w = size
        out = []
        for i, sample in enumerate(data_samples):
            if self.scribble_key not in sample:
                raise KeyError(f'{sample.metainfo.get("img_path", f"sample {i}")}: no {self.scribble_key!r} in the '
                               f'data sample; load it with LoadWSSSAnnotations(extra_maps=({self.scribble_key!r},), '
                               f'scribble_unlabeled_to=num_classes)')
            s = getattr(sample, self.scribble_key).data
            s = s[0] if s.dim() == 3 else s
            if s.shape[0] > h or s.shape[1] > w:
                raise ValueError(f'{sample.metainfo.get("img_path")}: scribble {tuple(s.shape)} larger than the '
                                 f'input batch {tuple(size)}')
            out.append(F.pad(s.long(), (0, w - s.shape[1], 0, h - s.shape[0]), value=255))
        return torch.stack(out)

    def _stack_img_labels(self, data_samples, scribbles: Tensor) -> Tensor:
        c = self.num_classes
        if all('gt_img_labels' in s for s in data_samples):
            labels = torch.stack([s.gt_img_labels.to(scribbles.device, torch.float32) for s in data_samples])
            if labels.shape[1] != c:
                raise ValueError(f'gt_img_labels has {labels.shape[1]} classes, the model {c}')
            labels[:, 0] = 1.0
            return labels
        return scribble_img_labels(scribbles, c)  # from the (cropped) scribbles, background always on

    def loss(self, inputs: Tensor, data_samples) -> dict:
        """BLPSeg training losses.

        Args:
            inputs: (N, 3, H, W) normalised images.
            data_samples: ``SegDataSample`` list with ``gt_scribble`` (1, h, w) and optionally
                ``gt_img_labels`` (C,).

        Returns:
            ``dict(loss_scrib, loss_blp (or the configured name), acc_scrib, pseudo_ratio)``.
        """
        head = self.decode_head
        x = self.extract_feat(inputs)
        seg, scrib = head.forward_train(x)
        seg = self._aggregate(seg, inputs)
        size = inputs.shape[2:]
        # BLPSeg lib/net/blpseg.py: both logits are upsampled to the crop before every loss.
        seg = resize(seg, size=size, mode='bilinear', align_corners=self.align_corners)
        scrib = resize(scrib, size=size, mode='bilinear', align_corners=self.align_corners)
        scribbles = self._stack_scribbles(data_samples, size).to(inputs.device)
        bad = (scribbles != 255) & (scribbles > self.num_classes)
        if bad.any():
            raise ValueError(f'scribble labels {torch.unique(scribbles[bad]).tolist()} outside 0..{self.num_classes} '
                             f'(C = not annotated) and 255; set scribble_unlabeled_to=num_classes in the pipeline')
        losses = dict()
        losses[head.loss_scribble.loss_name] = head.loss_scribble(scrib, scribbles)
        if self._use_pseudo_labels():
            target = blp_pseudo_labels(seg.detach(), scribbles, self._stack_img_labels(data_samples, scribbles),
                                       self.pseudo_threshold)
        else:
            target = scribbles
        loss_decode = head.loss_decode
        losses[loss_decode.loss_name] = loss_decode(seg, scrib.detach(), target)
        with torch.no_grad():
            lab = (scribbles >= 0) & (scribbles < self.num_classes)
            correct = (seg.argmax(1) == scribbles) & lab
            losses['acc_scrib'] = correct.sum().float() * 100.0 / lab.sum().clamp_min(1)
            losses['pseudo_ratio'] = ((target >= 0) & (target < self.num_classes)).float().mean()
        return losses
