"""W-OoD classifier: CAM classifier fine-tuned with hard out-of-distribution images (W-OoD train_cam_clustering.py)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor

from ..losses.wood_loss import harden_ood_inputs
from ...utils.preprocess import normalize_like_preprocessor
from .cam_classifier import CAMClassifier, img_labels_from_samples

__all__ = ['WOoDClassifier', 'kmeans_lloyd', 'class_mean_prototypes']


def kmeans_lloyd(x: Tensor, k: int, niter: int = 10) -> Tuple[Tensor, Tensor]:
    """Euclidean Lloyd k-means initialised with the first ``k`` points (deterministic, W-OoD train_cam_clustering.py).

    Empty clusters keep their previous centre (the original would divide by zero and produce NaN).

    Args:
        x: (M, D) points.
        k: number of clusters (``cluster_K`` = 50).
        niter: Lloyd iterations (10 in the original).

    Returns:
        tuple: centres (k, D) and assignments (M,) long.
    """
    if x.dim() != 2:
        raise ValueError(f'kmeans_lloyd: expected (M, D) points, got {tuple(x.shape)}')
    if x.shape[0] < k:
        raise ValueError(f'kmeans_lloyd: need at least k={k} points, got {x.shape[0]} '
                         '(use more OoD images or a smaller num_ood_prototypes)')
    x = x.float()
    centres = x[:k].clone()
    assign = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
    for _ in range(niter):
        assign = torch.cdist(x, centres).argmin(dim=1)
        sums = torch.zeros_like(centres).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=k).to(x.dtype)
        nonempty = counts > 0
        centres[nonempty] = sums[nonempty] / counts[nonempty, None]
    assign = torch.cdist(x, centres).argmin(dim=1)
    return centres, assign


def class_mean_prototypes(feats: Tensor, labels: Tensor) -> Tensor:
    """Class prototypes ``mu_c`` = mean feature of the images labelled with class c (multi-label images count
    for each of their classes, W-OoD step/train_cam_clustering.py, get_sample_estimator).

    Args:
        feats: (M, D) GAP features.
        labels: (M, C) multi-hot foreground labels.

    Returns:
        Tensor: (C, D); a class without any image gets a zero prototype (its pull term is always masked out).
    """
    labels = labels.to(feats.dtype)
    counts = labels.sum(dim=0)
    return (labels.t() @ feats) / counts.clamp(min=1)[:, None]


@MODELS.register_module()
class WOoDClassifier(CAMClassifier):
    """CAM classifier trained with in-distribution and OoD images in each batch.

    ``L = L_cls + lambda * L_M + mu * L_ood`` (W-OoD step/train_cam_clustering.py). The batch given by the runner holds
    the ID images (``inputs``/``data_samples``) and the OoD images (``ood_inputs``, a list of uint8 (3, H, W) tensors,
    added by :class:`mmwsss.datasets.WOoDMixDataset`). Prototypes are buffers filled by
    :class:`mmwsss.engine.hooks.WOoDPrototypeHook` (or :meth:`set_prototypes`) before training.

    Args:
        metric_loss: config of :class:`WOoDMetricLoss` (lambda 0.007, top 20 %).
        ood_loss: config of :class:`WOoDOoDLoss` (mu 0.25, class exclusion off by default).
        num_ood_prototypes: K of the OoD k-means (50).
        adv_step: step of the one-step OoD hardening (0.07); ``0`` disables hardening.
        **kwargs: :class:`CAMClassifier` arguments.
    """

    def __init__(self,
                 metric_loss: dict = dict(type='WOoDMetricLoss', loss_weight=0.007, topk_ratio=0.2),
                 ood_loss: dict = dict(type='WOoDOoDLoss', loss_weight=0.25),
                 num_ood_prototypes: int = 50,
                 adv_step: float = 0.07,
                 **kwargs):
        super().__init__(**kwargs)
        self.metric_loss = MODELS.build(metric_loss)
        self.ood_loss = MODELS.build(ood_loss)
        self.num_ood_prototypes = num_ood_prototypes
        self.adv_step = adv_step
        # persistent: the prototypes are fixed during fine-tuning and travel with the checkpoint (resume-safe)
        self.register_buffer('class_prototypes', torch.zeros(self.num_fg, self.in_channels))
        self.register_buffer('ood_prototypes', torch.zeros(num_ood_prototypes, self.in_channels))
        self.register_buffer('prototypes_ready', torch.zeros((), dtype=torch.bool))

    def set_prototypes(self, class_prototypes: Tensor, ood_prototypes: Tensor) -> None:
        """Install fixed prototypes: (C_fg, D) and (K, D)."""
        if tuple(class_prototypes.shape) != tuple(self.class_prototypes.shape):
            raise ValueError(f'class prototypes must be {tuple(self.class_prototypes.shape)}, '
                             f'got {tuple(class_prototypes.shape)}')
        if tuple(ood_prototypes.shape) != tuple(self.ood_prototypes.shape):
            raise ValueError(f'OoD prototypes must be {tuple(self.ood_prototypes.shape)}, '
                             f'got {tuple(ood_prototypes.shape)}')
        self.class_prototypes.copy_(class_prototypes)
        self.ood_prototypes.copy_(ood_prototypes)
        self.prototypes_ready.fill_(True)

    def preprocess_ood(self, ood_inputs: Sequence[Tensor]) -> Tensor:
        """Normalise a list of uint8 (3, H, W) OoD images with the model's data preprocessor statistics and
        zero-pad (= mean colour, as the original's crop padding) to a common size.

        Returns:
            Tensor: (B_o, 3, H, W) float.
        """
        device = self.classifier.weight.device
        # the OoD images are loaded like the ID ones (BGR); the preprocessor decides the model's order
        imgs = [normalize_like_preprocessor(self.data_preprocessor, img, order='bgr', device=device)
                for img in ood_inputs]
        h = max(i.shape[-2] for i in imgs)
        w = max(i.shape[-1] for i in imgs)
        return torch.stack([F.pad(i, (0, w - i.shape[-1], 0, h - i.shape[-2]), value=0.0) for i in imgs])

    def loss(self, inputs: Tensor, data_samples: List[SegDataSample],
             ood_inputs: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """W-OoD losses.

        Args:
            inputs: (B, 3, H, W) normalised ID images.
            data_samples: ID samples with ``gt_img_labels``.
            ood_inputs: (B_o, 3, H', W') normalised OoD images; ``None`` -> plain CAM classifier loss.
        """
        labels = img_labels_from_samples(data_samples, self.num_classes, inputs.device)
        feat = self.extract_feat(inputs)
        logits = self.logits_from_feat(feat)
        losses = dict(loss_cls=F.multilabel_soft_margin_loss(logits, labels))
        if ood_inputs is None:
            return losses
        if not bool(self.prototypes_ready):
            raise RuntimeError('WOoDClassifier: prototypes are not set; add WOoDPrototypeHook to custom_hooks '
                               'or call set_prototypes() before training')
        losses[self.metric_loss.loss_name] = self.metric_loss(
            feat.mean(dim=(2, 3)), labels, self.class_prototypes, self.ood_prototypes)
        if self.adv_step > 0:
            ood_inputs = harden_ood_inputs(self.forward_logits, ood_inputs, self.adv_step)
        losses[self.ood_loss.loss_name] = self.ood_loss(self.forward_logits(ood_inputs))
        return losses

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """One step: preprocess ID and OoD images, hardening + forward + backward (W-OoD run_sample.py (a)-(d))."""
        data = dict(data)
        ood_raw = data.pop('ood_inputs', None)
        with optim_wrapper.optim_context(self):
            batch = self.data_preprocessor(data, True)
            ood = self.preprocess_ood(ood_raw) if ood_raw is not None else None
            losses = self.loss(batch['inputs'], batch['data_samples'], ood)
        parsed, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(parsed)
        return log_vars
