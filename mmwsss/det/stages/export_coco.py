"""Export BESTIE predictions on the training images as COCO instance pseudo labels (BESTIE README.md).

The json is a standard COCO ``instances`` file (RLE masks, category ids 1..C) that mmdet's
``CocoDataset`` reads, so a stock Mask R-CNN config can train on it ("MRCNN refinement").
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from mmwsss.utils.io import atomic_write

__all__ = ['instances_to_coco_annotations', 'build_coco_dict', 'export_pseudo_coco']


def instances_to_coco_annotations(masks: np.ndarray, labels: Sequence[int], scores: Sequence[float], image_id: int,
                                  start_ann_id: int = 1, score_thr: float = 0.0, min_area: int = 1) -> List[Dict]:
    """Predicted instances of one image → COCO annotation dicts.

    Args:
        masks: (N, H, W) bool.
        labels: (N,) 0-based foreground classes (category id = label + 1).
        scores: (N,) kept as ``score`` (ignored by COCO training loaders).
        image_id: COCO image id.
        start_ann_id: First annotation id.
        score_thr: Drop instances with score < this.
        min_area: Drop instances with fewer pixels.

    Returns:
        list[dict]: ``id, image_id, category_id, segmentation (RLE), area, bbox [x, y, w, h], iscrowd, score``.
    """
    from pycocotools import mask as mask_utils
    anns = []
    aid = start_ann_id
    for m, l, s in zip(np.asarray(masks, bool), labels, scores):
        area = int(m.sum())
        if float(s) < score_thr or area < min_area:
            continue
        rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
        rle['counts'] = rle['counts'].decode('ascii')
        ys, xs = np.nonzero(m)
        x0, y0 = int(xs.min()), int(ys.min())
        bbox = [x0, y0, int(xs.max()) + 1 - x0, int(ys.max()) + 1 - y0]
        anns.append(dict(id=aid, image_id=int(image_id), category_id=int(l) + 1, segmentation=rle, area=area,
                         bbox=bbox, iscrowd=0, score=float(s)))
        aid += 1
    return anns


def build_coco_dict(images: List[Dict], annotations: List[Dict], classes: Sequence[str]) -> Dict:
    """Assemble a COCO dict (``images`` need ``id, file_name, height, width``)."""
    return dict(images=images, annotations=annotations,
                categories=[dict(id=i + 1, name=n) for i, n in enumerate(classes)],
                info=dict(description='BESTIE pseudo instance labels (mmwsss)'))


@torch.no_grad()
def export_pseudo_coco(model, dataloader, out_file: str, score_thr: float = 0.0, min_area: int = 1,
                       img_dir: Optional[str] = None) -> Dict:
    """Run ``model.test_step`` over ``dataloader`` and write the predictions as a COCO json.

    Args:
        model: A built BESTIE model (``test_cfg.clean=True`` to use image labels, as intended for
            train-set pseudo labels).
        dataloader: Yields mmengine data batches (``inputs``, ``data_samples`` with ``img_path``,
            ``ori_shape``); the image ``file_name`` is the path relative to ``img_dir`` (default:
            the image's folder).
        out_file: Destination json (written atomically).
        score_thr, min_area: Filters per instance.

    Returns:
        dict: the COCO dict written.
    """
    model.eval()
    images, anns = [], []
    classes = dataloader.dataset.metainfo['classes']
    for img_idx, batch in enumerate(_iter(dataloader)):
        for s in model.test_step(batch):
            h, w = s.metainfo['ori_shape'][:2]
            path = s.metainfo['img_path']
            iid = len(images) + 1
            rel = osp.relpath(path, img_dir) if img_dir else osp.basename(path)
            images.append(dict(id=iid, file_name=rel, height=int(h), width=int(w)))
            p = s.pred_instances
            anns += instances_to_coco_annotations(p.masks.cpu().numpy(), p.labels.cpu().tolist(),
                                                  p.scores.cpu().tolist(), iid, len(anns) + 1, score_thr, min_area)
    coco = build_coco_dict(images, anns, classes)
    with atomic_write(out_file, 'w') as f:
        json.dump(coco, f)
    return coco


def _iter(dataloader):
    yield from dataloader
