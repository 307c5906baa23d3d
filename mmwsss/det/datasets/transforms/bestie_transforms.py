"""BESTIE data pipeline (BESTIE run_image_labels.sh "Data pipeline" and BESTIE utils.py targets), mmdet TRANSFORMS.

Every geometric transform moves ``img``, every map in ``results['seg_fields']`` (nearest) and the
point array ``gt_points`` (N, 4: x, y, cls, conf) together.
"""
import math
import random
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmdet.registry import TRANSFORMS
from mmdet.structures import DetDataSample
from PIL import Image

from ....datasets.points import read_points
from ....datasets.transforms.loading import LoadWSSSImage, label_values
from ....utils.file_cache import DecodedFileCache
from .bestie_targets import generate_oracle_targets, generate_pseudo_targets

__all__ = [
    'LoadBestieAnnotations', 'BestiePhotoMetricDistortion', 'BestieResize', 'BestieRandomScale',
    'BestieRandomCrop', 'BestieRandomFlip', 'GenerateBestieTargets', 'PackBestieInputs'
]


# the image loader of the semantic pipelines, with its cache of decoded images, in the mmdet scope of the BESTIE configs
TRANSFORMS.register_module(module=LoadWSSSImage)


def _decode_png(path: str) -> np.ndarray:
    try:
        arr = np.array(Image.open(path))
    except FileNotFoundError:
        raise FileNotFoundError(f'{path}: label map not found') from None
    except (OSError, SyntaxError, ValueError) as err:  # truncated or corrupt: Pillow does not name the file
        raise ValueError(f'{path}: cannot decode label map ({err}); the file is truncated or corrupt: '
                         're-create or re-download it') from err
    if arr.ndim != 2:
        raise ValueError(f'{path}: expected a single-channel (index/palette) PNG, got shape {arr.shape}')
    return arr.astype(np.uint8)


def _read_png(path: str, shape=None, cache: Optional[DecodedFileCache] = None) -> np.ndarray:
    arr = cache.get(path, _decode_png) if cache is not None else _decode_png(path)
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f'{path}: map size {arr.shape} differs from the image size {tuple(shape)}')
    return arr


def _seg_fields(results):
    return [k for k in results.get('seg_fields', []) if k in results]


def _resize_all(results, new_h: int, new_w: int):
    h, w = results['img'].shape[:2]
    results['img'] = cv2.resize(results['img'], (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    for k in _seg_fields(results):
        results[k] = cv2.resize(results[k], (new_w, new_h), interpolation=cv2.INTER_NEAREST)
    sx, sy = new_w / w, new_h / h
    if 'gt_points' in results and len(results['gt_points']):
        p = results['gt_points'].copy()
        p[:, 0] = np.floor(p[:, 0] * sx)  # scaled and truncated to int (BESTIE scripts/run_image_labels.sh)
        p[:, 1] = np.floor(p[:, 1] * sy)
        results['gt_points'] = p
    results['img_shape'] = (new_h, new_w)
    old = results.get('scale_factor', (1.0, 1.0))
    results['scale_factor'] = (old[0] * sx, old[1] * sy)


@TRANSFORMS.register_module()
class LoadBestieAnnotations(BaseTransform):
    """Load the WSSS map, point cues, instance GT and image labels.

    Adds ``gt_seg_map`` (H, W) uint8 (from ``seg_map_path``), ``gt_points`` (N, 4) float32
    (conf > ``point_conf_thr``), ``gt_inst_map`` (H, W) uint8 (from ``inst_map_path``) and
    ``gt_img_labels`` (C+1,) float32 multi-hot with background index 0 = 1 (from ``img_labels``,
    else from the semantic map).

    Args:
        with_seg: Load the semantic map.
        with_points: Load the point file.
        with_inst: Load the instance map (oracle targets).
        point_conf_thr: Keep points with conf > this (0.7 for PAM peaks, None keeps all).
        cache_mb: Keep up to this many MB of decoded maps and point arrays in memory per process and read each file
            once (:class:`~mmwsss.utils.file_cache.DecodedFileCache`; the pipeline gets the same arrays); 0 (default):
            read on every call. For datasets that fit in memory, such as the embedded one.
    """

    def __init__(self, with_seg: bool = True, with_points: bool = True, with_inst: bool = False,
                 point_conf_thr: Optional[float] = 0.7, cache_mb: float = 0):
        self.cache = DecodedFileCache(cache_mb)
        self.with_seg = with_seg
        self.with_points = with_points
        self.with_inst = with_inst
        self.point_conf_thr = point_conf_thr

    def transform(self, results: dict) -> dict:
        shape = results['img'].shape[:2] if 'img' in results else None
        num_classes = results.get('num_classes')
        results.setdefault('seg_fields', [])
        for flag, key, out in ((self.with_seg, 'seg_map_path', 'gt_seg_map'),
                               (self.with_inst, 'inst_map_path', 'gt_inst_map')):
            if not flag:
                continue
            if results.get(key) is None:
                raise KeyError(f'{results.get("img_path")}: no {key}; set data_prefix.{key} in the dataset')
            results[out] = _read_png(results[key], shape, self.cache)
            if out not in results['seg_fields']:
                results['seg_fields'].append(out)
        if self.with_points:
            if results.get('points_path') is None:
                raise KeyError(f'{results.get("img_path")}: no points_path; set data_prefix.points_path')
            results['gt_points'] = self.cache.get(
                results['points_path'], lambda p: read_points(p, self.point_conf_thr, num_classes),
                ('points', self.point_conf_thr, num_classes))
        if num_classes is not None:
            lab = np.zeros(num_classes + 1, np.float32)
            lab[0] = 1
            if results.get('img_labels') is not None:
                lab[[c + 1 for c in results['img_labels']]] = 1
            elif 'gt_seg_map' in results:
                v = label_values(results['gt_seg_map'])
                lab[v[(v > 0) & (v <= num_classes)]] = 1
            results['gt_img_labels'] = lab
        return results


@TRANSFORMS.register_module()
class BestiePhotoMetricDistortion(BaseTransform):
    """SSD-style photometric distortion without channel swap or saturation (BESTIE scripts/run_image_labels.sh).

    Brightness +U(-δ, δ) (p 0.5); then with p 0.5 either contrast → hue or hue → contrast; each of
    contrast (×U(lo, hi)) and hue (+U(-h, h) degrees) applied with p 0.5. Works on BGR uint8.
    """

    def __init__(self, brightness_delta: int = 16, contrast_range: Tuple[float, float] = (0.5, 1.5),
                 hue_delta: int = 36):
        self.brightness_delta = brightness_delta
        self.contrast_range = contrast_range
        self.hue_delta = hue_delta

    def _contrast(self, img):
        if random.random() < 0.5:
            img = img * random.uniform(*self.contrast_range)
        return img

    def _hue(self, img):
        if random.random() < 0.5:
            hsv = cv2.cvtColor(np.clip(img, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_BGR2HSV)
            hsv[..., 0] = (hsv[..., 0] + random.uniform(-self.hue_delta, self.hue_delta)) % 360
            img = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR) * 255.0
        return img

    def transform(self, results: dict) -> dict:
        img = results['img'].astype(np.float32)
        if random.random() < 0.5:
            img = img + random.uniform(-self.brightness_delta, self.brightness_delta)
        if random.random() < 0.5:
            img = self._hue(self._contrast(img))
        else:
            img = self._contrast(self._hue(img))
        results['img'] = np.clip(img, 0, 255).astype(np.uint8)
        return results


@TRANSFORMS.register_module()
class BestieResize(BaseTransform):
    """Resize so the long side is ``long_side`` and/or round each side up to ``k*size_divisor (+1)``.

    Train (BESTIE scripts/run_image_labels.sh): ``long_side=449, size_divisor=32, plus_one=True`` (375×500 → 353×449).
    Test (BESTIE utils/utils.py, get_ins_map): ``long_side=None, size_divisor=32`` → (ceil(H/32)·32, ceil(W/32)·32).
    """

    def __init__(self, long_side: Optional[int] = None, size_divisor: Optional[int] = 32, plus_one: bool = False):
        self.long_side = long_side
        self.size_divisor = size_divisor
        self.plus_one = int(plus_one)

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        s = self.long_side / max(h, w) if self.long_side else 1.0
        nh, nw = h * s, w * s
        if self.size_divisor:
            d, p = self.size_divisor, self.plus_one
            nh = math.ceil((round(nh, 6) - p) / d) * d + p
            nw = math.ceil((round(nw, 6) - p) / d) * d + p
            if self.long_side:
                nh, nw = min(nh, self.long_side), min(nw, self.long_side)
        nh, nw = max(int(round(nh)), 1), max(int(round(nw)), 1)
        if (nh, nw) != (h, w):
            _resize_all(results, nh, nw)
        else:
            results.setdefault('img_shape', (h, w))
        return results


@TRANSFORMS.register_module()
class BestieRandomScale(BaseTransform):
    """Resize by a factor drawn uniformly from ``scales`` (BESTIE scripts/run_image_labels.sh: 0.7, 0.8, …, 1.3)."""

    def __init__(self, scales: Sequence[float] = (0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)):
        self.scales = list(scales)

    def transform(self, results: dict) -> dict:
        s = random.choice(self.scales)
        h, w = results['img'].shape[:2]
        nh, nw = max(int(h * s + 0.5), 1), max(int(w * s + 0.5), 1)
        if (nh, nw) != (h, w):
            _resize_all(results, nh, nw)
        return results


@TRANSFORMS.register_module()
class BestieRandomCrop(BaseTransform):
    """Random crop to ``crop_size`` (h, w) with random padding when smaller (BESTIE scripts/run_image_labels.sh).

    Image padding ``img_pad_val`` (BGR of the mean: 103, 116, 123), maps padded with ``seg_pad_val``
    (0 = background, as the original) and ``gt_inst_map`` with 0; points outside the crop dropped.
    """

    def __init__(self, crop_size: Tuple[int, int], img_pad_val=(103, 116, 123), seg_pad_val: int = 0):
        self.crop_size = (crop_size, crop_size) if isinstance(crop_size, int) else tuple(crop_size)
        self.img_pad_val = tuple(img_pad_val)
        self.seg_pad_val = seg_pad_val

    def transform(self, results: dict) -> dict:
        ch, cw = self.crop_size
        img = results['img']
        h, w = img.shape[:2]
        ph, pw = max(ch - h, 0), max(cw - w, 0)
        top, left = random.randint(0, ph), random.randint(0, pw)
        if ph or pw:
            img = cv2.copyMakeBorder(img, top, ph - top, left, pw - left, cv2.BORDER_CONSTANT, value=self.img_pad_val)
            for k in _seg_fields(results):
                val = 0 if k == 'gt_inst_map' else self.seg_pad_val
                results[k] = cv2.copyMakeBorder(results[k], top, ph - top, left, pw - left, cv2.BORDER_CONSTANT,
                                                value=val)
        H, W = img.shape[:2]
        y0, x0 = random.randint(0, H - ch), random.randint(0, W - cw)
        results['img'] = img[y0:y0 + ch, x0:x0 + cw]
        for k in _seg_fields(results):
            results[k] = results[k][y0:y0 + ch, x0:x0 + cw]
        if 'gt_points' in results and len(results['gt_points']):
            p = results['gt_points'].copy()
            p[:, 0] += left - x0
            p[:, 1] += top - y0
            keep = (p[:, 0] >= 0) & (p[:, 0] < cw) & (p[:, 1] >= 0) & (p[:, 1] < ch)
            results['gt_points'] = p[keep]
        results['img_shape'] = (ch, cw)
        return results


@TRANSFORMS.register_module()
class BestieRandomFlip(BaseTransform):
    """Horizontal flip with probability ``prob`` (x → W − x − 1 for points, BESTIE scripts/run_image_labels.sh)."""

    def __init__(self, prob: float = 0.5):
        self.prob = prob

    def transform(self, results: dict) -> dict:
        flip = random.random() < self.prob
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if not flip:
            return results
        results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
        for k in _seg_fields(results):
            results[k] = np.ascontiguousarray(results[k][:, ::-1])
        if 'gt_points' in results and len(results['gt_points']):
            p = results['gt_points'].copy()
            p[:, 0] = results['img'].shape[1] - p[:, 0] - 1
            results['gt_points'] = p
        return results


@TRANSFORMS.register_module()
class GenerateBestieTargets(BaseTransform):
    """Instance targets on the augmented crop (BESTIE utils.py): ``gt_center`` (C, H, W), ``gt_offset`` (2, H, W),
    ``gt_weight`` (1, H, W).

    Args:
        sup: ``'cls'`` (peaks; Gaussian at component centroids), ``'point'`` (Gaussian at every point)
            or ``'full'`` (oracle: true instances from ``gt_inst_map``).
        sigma: Gaussian σ (6).
        min_area: Minimum component area (50 px).
    """

    def __init__(self, sup: str = 'cls', sigma: float = 6, min_area: int = 50):
        if sup not in ('cls', 'point', 'full'):
            raise ValueError(f"sup must be 'cls', 'point' or 'full', got {sup!r}")
        self.sup, self.sigma, self.min_area = sup, sigma, min_area

    def transform(self, results: dict) -> dict:
        num_classes = results['num_classes']
        if self.sup == 'full':
            t = generate_oracle_targets(results['gt_inst_map'], results['gt_seg_map'], num_classes, self.sigma)
        else:
            lab = results.get('gt_img_labels')
            t = generate_pseudo_targets(results['gt_seg_map'], results.get('gt_points'), num_classes,
                                        img_labels=lab, sup=self.sup, sigma=self.sigma, min_area=self.min_area)
        results['gt_center'], results['gt_offset'], results['gt_weight'] = t['center'], t['offset'], t['weight']
        return results


@TRANSFORMS.register_module()
class PackBestieInputs(BaseTransform):
    """Pack into ``inputs`` (3, H, W) uint8 tensor and a ``DetDataSample``.

    Fields: ``gt_sem_seg`` (PixelData ``sem_seg`` (1, H, W) long), ``gt_center``/``gt_offset``/
    ``gt_weight`` (PixelData ``data``), ``gt_img_labels`` (C+1,) float, ``gt_points`` (N, 4) float.
    """

    def __init__(self, meta_keys=('img_id', 'img_path', 'file_id', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                                  'flip_direction')):
        self.meta_keys = meta_keys

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).contiguous()
        s = DetDataSample()
        if 'gt_seg_map' in results:
            s.gt_sem_seg = PixelData(sem_seg=torch.from_numpy(results['gt_seg_map'].astype(np.int64))[None])
        for k in ('gt_center', 'gt_offset', 'gt_weight'):
            if k in results:
                setattr(s, k, PixelData(data=torch.from_numpy(np.ascontiguousarray(results[k]))))
        if 'gt_img_labels' in results:
            s.gt_img_labels = torch.from_numpy(np.asarray(results['gt_img_labels'], np.float32))
        if 'gt_points' in results:
            s.gt_points = torch.from_numpy(np.asarray(results['gt_points'], np.float32).reshape(-1, 4))
        s.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=s)
