"""BESTIE instance grouping primitives and online self-refinement (BESTIE utils/utils.py, refine_label_generation).

Everything here runs on detached tensors; connected components use OpenCV on the CPU.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..datasets.transforms.bestie_targets import MIN_MASK_SIZE, gaussian_patch, render_gaussian

__all__ = [
    'find_instance_center', 'cluster_peaks', 'group_pixels', 'get_instance_segmentation',
    'refine_label_generation', 'refine_label_generation_with_point'
]

MAX_NUM_INST = 5  # BESTIE utils/utils.py, refine_label_generation c (MAXIMUM_NUM_INST)
CLUSTER_MIN_DIST = 100  # BESTIE utils/utils.py: a clustered point is added only if > 100 px from every NMS centre


def find_instance_center(heat: torch.Tensor, thr: float = 0.1, nms_kernel: int = 41) -> torch.Tensor:
    """Max-pool NMS on a centre heat map (BESTIE utils/utils.py, Panoptic-DeepLab style).

    A pixel is a centre iff its value is > ``thr`` and equals the max of its k×k window.

    Args:
        heat: (H, W) raw centre regression (no sigmoid).
        thr: Value threshold.
        nms_kernel: Odd window size.

    Returns:
        torch.Tensor: (K, 2) long ``(y, x)`` centres.
    """
    if heat.dim() != 2:
        raise ValueError(f'heat must be (H, W), got {tuple(heat.shape)}')
    h = torch.where(heat > thr, heat, torch.full_like(heat, -1.0))
    pooled = F.max_pool2d(h[None, None], kernel_size=nms_kernel, stride=1, padding=(nms_kernel - 1) // 2)[0, 0]
    h = torch.where(h == pooled, h, torch.full_like(h, -1.0))
    return torch.nonzero(h > 0)


def cluster_peaks(offsets: torch.Tensor, fg: torch.Tensor, thresh: float = 2.5, beta: int = 3,
                  include_complement: bool = True) -> List[Tuple[int, int]]:
    """"Center clustering": blobs of pixels whose offset vector is shorter than ``thresh`` (BESTIE utils/utils.py).

    Pixels predicting "I am the centre" form a disc of radius ≈2.5 px (area ≈ 21); 4-connected blobs
    with ``21-beta < area < 21+beta`` are returned as extra centres (their truncated centroid).

    Args:
        offsets: (2, H, W) (dy, dx).
        fg: (H, W) bool foreground.
        thresh: Offset-length threshold in pixels.
        beta: Area tolerance.
        include_complement: Also test OpenCV's component 0 (every pixel outside the blobs) like the other
            components, as BESTIE ``utils/utils.py`` ``cluster_peaks`` does (its centroid is returned when its area is
            within the tolerance, i.e. on images of fewer than ``21 + beta`` pixels outside the blobs). ``False``
            tests the blobs only.

    Returns:
        list[tuple[int, int]]: ``(y, x)`` centres.
    """
    norm2 = offsets[0] * offsets[0] + offsets[1] * offsets[1]  # squared length: no sqrt needed
    region = ((norm2 < thresh * thresh) & fg.bool()).cpu().numpy().astype(np.uint8)
    if not include_complement and not region.any():
        return []
    n, _, stats, cents = cv2.connectedComponentsWithStats(region, connectivity=4)
    out = []
    for k in range(0 if include_complement else 1, n):
        a = stats[k, cv2.CC_STAT_AREA]
        if 21 - beta < a < 21 + beta:
            out.append((int(cents[k][1]), int(cents[k][0])))
    return out


def group_pixels(centers: torch.Tensor, offsets: torch.Tensor, fg: torch.Tensor) -> torch.Tensor:
    """Assign each foreground pixel to the centre nearest to where its offset points (BESTIE utils/utils.py).

    Args:
        centers: (K, 2) ``(y, x)``, K >= 1.
        offsets: (2, H, W) (dy, dx).
        fg: (H, W) bool.

    Returns:
        torch.Tensor: (H, W) long instance map, 0 outside ``fg``, 1..K inside.
    """
    h, w = fg.shape
    out = torch.zeros((h, w), dtype=torch.long, device=offsets.device)
    idx = torch.nonzero(fg.bool())
    if idx.numel() == 0:
        return out
    q = idx.to(offsets.dtype) + offsets[:, idx[:, 0], idx[:, 1]].t()
    d = torch.cdist(q, centers.to(offsets.dtype))
    out[idx[:, 0], idx[:, 1]] = d.argmin(dim=1) + 1
    return out


def get_instance_segmentation(fg: torch.Tensor, heat: torch.Tensor, offsets: torch.Tensor, thr: float,
                              nms_kernel: int, ignore: bool, beta: int = 3, cluster_complement: bool = True
                              ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Split one foreground region into instances (BESTIE utils/utils.py).

    Args:
        fg: (H, W) bool region (one connected component of one class).
        heat: (H, W) centre map of that class, already multiplied by ``fg``.
        offsets: (2, H, W).
        thr: NMS value threshold.
        nms_kernel: NMS window.
        ignore: If no centre is found: ``True`` → no instance, ``False`` → the whole region is one.
        beta: Center-clustering area tolerance (0 disables clustering).
        cluster_complement: ``include_complement`` of :func:`cluster_peaks` (True, as BESTIE).

    Returns:
        tuple: ``ins`` (H, W) long instance map (0 = none) and the heat map with every clustered
        centre flagged by the value 1.0 (a copy; the flag makes its centre score fall back to the
        class score in post-processing).
    """
    heat = heat.clone()
    centers = find_instance_center(heat, thr, nms_kernel)
    if beta > 0:
        peaks = cluster_peaks(offsets, fg, beta=beta, include_complement=cluster_complement)
        extra = [p for p in peaks if heat[p[0], p[1]] > 0.05]
        taken = []
        if centers.shape[0] == 0:
            taken = extra
        else:
            c = centers.to(torch.float32)
            for p in extra:
                d = torch.sqrt(((c - torch.tensor(p, dtype=torch.float32, device=c.device))**2).sum(1))
                if bool((d > CLUSTER_MIN_DIST).all()):
                    taken.append(p)
        if taken:
            for y, x in taken:
                heat[y, x] = 1.0
            centers = torch.cat([centers, torch.tensor(taken, dtype=torch.long, device=heat.device)], 0)
    if centers.shape[0] == 0:
        ins = torch.zeros(fg.shape, dtype=torch.long, device=heat.device)
        if not ignore:
            ins[fg.bool()] = 1
        return ins, heat
    return group_pixels(centers, offsets, fg), heat


def _components(mask: np.ndarray, min_area: int):
    n, lab, stats, cents = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    for k in range(1, n):
        if stats[k, cv2.CC_STAT_AREA] >= min_area:
            yield lab == k, (int(cents[k][0]), int(cents[k][1]))


@torch.no_grad()
def refine_label_generation(seg_logits: torch.Tensor,
                            center: torch.Tensor,
                            offsets: torch.Tensor,
                            img_labels: torch.Tensor,
                            wsss: torch.Tensor,
                            sigma: float = 6,
                            thr: float = 0.3,
                            nms_kernel: int = 41,
                            beta: int = 3,
                            min_area: int = MIN_MASK_SIZE,
                            max_inst: int = MAX_NUM_INST,
                            cluster_complement: bool = True) -> Dict[str, torch.Tensor]:
    """Refined instance labels from the model's own predictions, image-label setting (BESTIE utils.py).

    Args:
        seg_logits: (B, C+1, H, W).
        center: (B, C, H, W).
        offsets: (B, 2, H, W).
        img_labels: (B, C) multi-hot over foreground classes.
        wsss: (B, H, W) long semantic (WSSS) map after augmentation.
        sigma, thr, nms_kernel, beta, min_area, max_inst: see BESTIE utils/utils.py, refine_label_generation.
        cluster_complement: See :func:`cluster_peaks` (``include_complement``; True, as BESTIE).

    Returns:
        dict: ``center`` (B, C, H, W), ``offset`` (B, 2, H, W), ``weight`` (B, 1, H, W) (soft
        confidence), on the device of ``center``.
    """
    b, c_num, h, w = center.shape
    prob = torch.softmax(seg_logits.detach().float(), dim=1).cpu()
    prob[:, 1:] *= img_labels.detach().float().cpu()[:, :, None, None]  # "cleaning" (BESTIE utils.py)
    center_c = center.detach().float().cpu()
    off_c = offsets.detach().float().cpu()
    wsss_np = wsss.detach().cpu().numpy()
    out_c = np.zeros((b, c_num, h, w), np.float32)
    out_o = np.zeros((b, 2, h, w), np.float32)
    out_w = np.zeros((b, 1, h, w), np.float32)
    patch = gaussian_patch(sigma)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for i in range(b):
        for c in torch.nonzero(img_labels[i] > 0).flatten().tolist():
            for comp, (ccx, ccy) in _components(wsss_np[i] == c + 1, min_area):
                fg = torch.from_numpy(comp)
                heat = center_c[i, c] * fg
                ins, heat = get_instance_segmentation(fg, heat, off_c[i], thr, nms_kernel, True, beta,
                                                      cluster_complement)
                ids = [int(v) for v in torch.unique(ins) if v > 0]
                if len(ids) == 0 or len(ids) > max_inst:
                    continue
                for k in ids:
                    s = ins == k
                    hs = torch.where(s, heat, torch.full_like(heat, -1e9))
                    flat = int(hs.argmax())
                    py, px = flat // w, flat % w
                    s_c = float(heat[py, px])
                    s_p = float(prob[i, c + 1][s].mean())
                    if s_c < thr:  # weak centre: fall back to the component centroid (issue #5 kept as is)
                        py, px, conf = ccy, ccx, s_p
                    else:
                        conf = s_c * s_p
                    conf = min(max(conf, 0.0), 1.0)
                    render_gaussian(out_c[i, c], px, py, sigma, patch)
                    sn = s.numpy()
                    out_o[i, 0][sn] = py - ys[sn]
                    out_o[i, 1][sn] = px - xs[sn]
                    out_w[i, 0][sn] = conf
    dev = center.device
    return dict(center=torch.from_numpy(out_c).to(dev), offset=torch.from_numpy(out_o).to(dev),
                weight=torch.from_numpy(out_w).to(dev))


@torch.no_grad()
def refine_label_generation_with_point(offsets: torch.Tensor, points: Sequence[Sequence[np.ndarray]],
                                       img_labels: torch.Tensor, wsss: torch.Tensor,
                                       drop_points_on_zero_border: bool = True) -> Dict[str, torch.Tensor]:
    """Refined offsets in the point setting (BESTIE utils.py): group each class region to its GT points.

    Args:
        offsets: (B, 2, H, W) predicted offsets.
        points: per image, per class a (K, 2) ``(y, x)`` array of GT points.
        img_labels: (B, C) multi-hot.
        wsss: (B, H, W) semantic map.
        drop_points_on_zero_border: Ignore points with ``y == 0`` or ``x == 0``, as BESTIE ``utils/utils.py``
            ``refine_label_generation_with_point`` does (there they are the zero padding of its fixed-size point
            tensor, and real points on row or column 0 go with it). ``False`` keeps them: mmwsss passes per-class
            point arrays without padding, so such a point is a real one.

    Returns:
        dict: ``offset`` (B, 2, H, W) and ``weight`` (B, 1, H, W) (1 on grouped pixels).
    """
    b, _, h, w = offsets.shape
    off_c = offsets.detach().float().cpu()
    out_o = torch.zeros((b, 2, h, w))
    out_w = torch.zeros((b, 1, h, w))
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32),
                            indexing='ij')
    wsss_c = wsss.detach().cpu()
    for i in range(b):
        for c in torch.nonzero(img_labels[i] > 0).flatten().tolist():
            pts = np.asarray(points[i][c]).reshape(-1, 2)
            low = 1 if drop_points_on_zero_border else 0
            pts = pts[(pts[:, 0] >= low) & (pts[:, 0] < h) & (pts[:, 1] >= low) & (pts[:, 1] < w)]
            fg = wsss_c[i] == c + 1
            if len(pts) == 0 or not bool(fg.any()):
                continue
            ctr = torch.from_numpy(pts).long()
            ins = group_pixels(ctr, off_c[i], fg)
            for k in range(1, len(pts) + 1):
                s = ins == k
                out_o[i, 0][s] = float(ctr[k - 1, 0]) - ys[s]
                out_o[i, 1][s] = float(ctr[k - 1, 1]) - xs[s]
                out_w[i, 0][s] = 1.0
    dev = offsets.device
    return dict(offset=out_o.to(dev), weight=out_w.to(dev))
