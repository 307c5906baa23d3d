"""BESTIE inference post-processing: dense outputs → instances (BESTIE ``utils/utils.py``, ``get_ins_map``)."""
from typing import Dict, Optional

import numpy as np
import torch
from mmdet.structures.mask import mask2bbox

from .refine import _components, get_instance_segmentation
from ..datasets.transforms.bestie_targets import MIN_MASK_SIZE

__all__ = ['get_instances', 'to_pred_instances']


@torch.no_grad()
def get_instances(seg_prob: torch.Tensor,
                  center: torch.Tensor,
                  offsets: torch.Tensor,
                  thr: float = 0.1,
                  nms_kernel: int = 41,
                  beta: int = 3,
                  min_area: int = MIN_MASK_SIZE,
                  ignore: bool = False,
                  img_labels: Optional[torch.Tensor] = None,
                  cluster_complement: bool = True) -> Dict[str, torch.Tensor]:
    """Instances per predicted class and connected component (BESTIE ``get_ins_map``).

    Args:
        seg_prob: (C+1, H, W) softmax probabilities (background first).
        center: (C, H, W) centre heat maps.
        offsets: (2, H, W) (dy, dx) in pixels of this resolution.
        thr: Centre NMS threshold (0.1 at test time).
        nms_kernel: Centre NMS window (41).
        beta: Center-clustering tolerance (3; 0 disables).
        min_area: Minimum component area (50 px).
        ignore: Drop components without a centre instead of emitting them as one instance.
        img_labels: Optional (C,) multi-hot; when given, absent classes' probabilities are zeroed
            before the argmax ("val_clean", used to export train-set pseudo labels).
        cluster_complement: ``include_complement`` of :func:`~mmwsss.det.models.refine.cluster_peaks` (True, as
            BESTIE).

    Returns:
        dict: ``masks`` (N, H, W) bool, ``labels`` (N,) long (0-based foreground class),
        ``scores`` (N,) float = centre score × mean class probability (N may be 0), and ``sem_seg`` (H, W)
        long: the semantic map the instances are cut from (argmax of the, optionally cleaned,
        probabilities; 0 = background), the first output of BESTIE's ``get_ins_map`` (``utils/utils.py``).
    """
    prob = seg_prob.detach().float().cpu().clone()
    if img_labels is not None:
        prob[1:] *= img_labels.detach().float().cpu()[:, None, None]
    center = center.detach().float().cpu()
    offsets = offsets.detach().float().cpu()
    sem = prob.argmax(0).numpy()
    h, w = sem.shape
    masks, labels, scores = [], [], []
    for cls1 in np.unique(sem):
        if cls1 == 0:
            continue
        c = int(cls1) - 1
        for comp, _ in _components(sem == cls1, min_area):
            fg = torch.from_numpy(comp)
            heat = center[c] * fg
            ins, heat = get_instance_segmentation(fg, heat, offsets, thr, nms_kernel, ignore, beta,
                                                  cluster_complement)
            for k in [int(v) for v in torch.unique(ins) if v > 0]:
                s = ins == k
                hs = torch.where(s, heat, torch.full_like(heat, -1e9))
                flat = int(hs.argmax())
                s_c = float(heat[flat // w, flat % w])
                s_p = float(prob[c + 1][s].mean())
                if s_c >= 1.0:  # clustered-centre flag (BESTIE utils/utils.py) → use the class score
                    s_c = s_p
                masks.append(s)
                labels.append(c)
                scores.append(s_c * s_p)
    sem_seg = torch.from_numpy(sem).long()
    if masks:
        return dict(masks=torch.stack(masks), labels=torch.tensor(labels, dtype=torch.long),
                    scores=torch.tensor(scores, dtype=torch.float32), sem_seg=sem_seg)
    return dict(masks=torch.zeros((0, h, w), dtype=torch.bool), labels=torch.zeros(0, dtype=torch.long),
                scores=torch.zeros(0, dtype=torch.float32), sem_seg=sem_seg)


def to_pred_instances(result: Dict[str, torch.Tensor]):
    """Wrap :func:`get_instances` output as mmdet ``pred_instances`` (an mmengine ``InstanceData``).

    Returns:
        InstanceData with ``masks`` (N, H, W) bool, ``labels`` (N,), ``scores`` (N,), ``bboxes`` (N, 4).
    """
    from mmengine.structures import InstanceData
    inst = InstanceData()
    inst.masks = result['masks'].bool()
    inst.labels = result['labels'].long()
    inst.scores = result['scores'].float()
    inst.bboxes = mask2bbox(inst.masks)  # tight (x1, y1, x2 + 1, y2 + 1); an empty mask gives a zero box
    return inst
