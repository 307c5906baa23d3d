"""Hook computing W-OoD's fixed class and OoD prototypes before fine-tuning (W-OoD train_cam_clustering.py)."""
from typing import Iterable, Optional, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS
from torch import Tensor

from mmwsss.utils.checkpoint import unwrap_model

__all__ = ['WOoDPrototypeHook', 'extract_gap_features']


@torch.no_grad()
def extract_gap_features(model, dataloader: Iterable, with_labels: bool = True) -> Tuple[Tensor, Optional[Tensor]]:
    """GAP features ``z(x)`` (and foreground labels) of every sample of a dataloader, model in eval mode.

    Args:
        model: a :class:`CAMClassifier` (unwrapped).
        dataloader: yields mmengine data batches (``inputs``/``data_samples``).
        with_labels: also return (M, C_fg) multi-hot labels.

    Returns:
        tuple: (M, D) features and (M, C_fg) labels or ``None``.
    """
    from mmwsss.models.segmentors.cam_classifier import img_labels_from_samples
    was_training = model.training
    model.eval()
    feats, labels = [], []
    try:
        for batch in dataloader:
            data = model.data_preprocessor(batch, False)
            feats.append(model.pooled_feat(data['inputs']).float().cpu())
            if with_labels:
                labels.append(img_labels_from_samples(data['data_samples'], model.num_classes).cpu())
    finally:
        model.train(was_training)
    if not feats:
        raise ValueError('extract_gap_features: the dataloader is empty')
    return torch.cat(feats), (torch.cat(labels) if with_labels else None)


@HOOKS.register_module()
class WOoDPrototypeHook(Hook):
    """Fill ``WOoDClassifier.class_prototypes`` / ``ood_prototypes`` in ``before_train``.

    ``mu_c`` = mean GAP feature of the ID images labelled c; ``nu_k`` = k-means (K = model.num_ood_prototypes,
    Lloyd, first-K init, ``niter`` iterations) of the OoD GAP features. Prototypes are computed once, with the
    initial (pre-trained) weights, and kept fixed; they are buffers in the checkpoint, so a resumed run does not
    recompute them unless ``recompute=True``.

    Args:
        id_dataloader: dataloader config of the ID images without augmentation (full resolution, batch 1).
        ood_dataloader: dataloader config of the OoD images (long side resized to 500 on VOC, batch 1).
        recompute: recompute even when the model already holds prototypes.
        niter: k-means iterations (10).
    """

    priority = 'HIGH'

    def __init__(self, id_dataloader: dict, ood_dataloader: dict, recompute: bool = False, niter: int = 10):
        self.id_dataloader = id_dataloader
        self.ood_dataloader = ood_dataloader
        self.recompute = recompute
        self.niter = niter

    def before_train(self, runner) -> None:
        from mmwsss.models.segmentors.wood_classifier import class_mean_prototypes, kmeans_lloyd
        model = unwrap_model(runner.model)
        if not hasattr(model, 'set_prototypes'):
            raise TypeError(f'WOoDPrototypeHook needs a WOoDClassifier, got {type(model).__name__}')
        if bool(model.prototypes_ready) and not self.recompute:
            print_log('WOoDPrototypeHook: using the prototypes stored in the model', logger='current')
            return
        id_loader = runner.build_dataloader(self.id_dataloader)
        ood_loader = runner.build_dataloader(self.ood_dataloader)
        id_feats, id_labels = extract_gap_features(model, id_loader, with_labels=True)
        ood_feats, _ = extract_gap_features(model, ood_loader, with_labels=False)
        class_protos = class_mean_prototypes(id_feats, id_labels)
        ood_protos, assign = kmeans_lloyd(ood_feats, model.num_ood_prototypes, self.niter)
        device = model.class_prototypes.device
        model.set_prototypes(class_protos.to(device), ood_protos.to(device))
        sizes = torch.bincount(assign, minlength=model.num_ood_prototypes)
        print_log(
            f'WOoDPrototypeHook: {id_feats.shape[0]} ID / {ood_feats.shape[0]} OoD features, '
            f'{int((sizes == 0).sum())} empty clusters, cluster sizes min/max {int(sizes.min())}/{int(sizes.max())}',
            logger='current')
