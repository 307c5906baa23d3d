"""Resizes that reproduce an original method's preprocessing exactly."""
from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

__all__ = ['ZoomResize', 'zoom_linear', 'PILRandomRescale', 'pil_rescale']


def zoom_linear(img: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """``scipy.ndimage.zoom(img.astype(float32), (h / H, w / W, 1), order=1)``: corner-aligned bilinear.

    Output pixel ``i`` samples input coordinate ``i * (H - 1) / (h - 1)`` (the end pixels of input and output
    coincide), unlike cv2/PIL/mmcv resizing, which samples pixel centres (``(i + 0.5) * H / h - 0.5``).
    The interpolation is done in float64 by scipy and returned as float32, not rounded.

    Args:
        img: (H, W) or (H, W, C) image of any numeric dtype.
        size: (h, w) output size.

    Returns:
        np.ndarray: (h, w[, C]) float32.
    """
    from scipy import ndimage
    h, w = int(size[0]), int(size[1])
    if img.ndim not in (2, 3) or h < 1 or w < 1:
        raise ValueError(f'zoom_linear: need an (H, W[, C]) image and a positive size, got {img.shape} -> {size}')
    factors = (h / img.shape[0], w / img.shape[1]) + ((1.0, ) if img.ndim == 3 else ())
    out = ndimage.zoom(img.astype(np.float32), factors, order=1)
    if out.shape[:2] != (h, w):  # scipy rounds H * (h / H); guard against a float rounding off by one
        raise ValueError(f'zoom_linear: scipy produced {out.shape[:2]} instead of {(h, w)}')
    return out


def _set_resized_shape(results: dict, old: Tuple[int, int], new: Tuple[int, int], keep_ratio: bool) -> dict:
    """``img_shape``, ``scale_factor`` ((w / W, h / H), mmcv's order) and ``keep_ratio`` after a resize."""
    (h0, w0), (h, w) = old, new
    results['img_shape'] = (h, w)
    results['scale_factor'] = (w / w0, h / h0)
    results['keep_ratio'] = keep_ratio
    return results


@TRANSFORMS.register_module()
class ZoomResize(BaseTransform):
    """Warp the image to a fixed size with ``scipy.ndimage.zoom(order=1)``, as SEC's test code does.

    SEC's ``deploy/demo.py`` feeds the network ``zoom(image.astype('float32'), (321 / H, 321 / W, 1),
    order=1)``: corner-aligned bilinear interpolation, kept as float (not rounded to uint8). mmcv's ``Resize``
    samples pixel centres and rounds, so on textured images the two inputs differ by tens of grey levels at
    some pixels. The image becomes float32; the data preprocessor accepts it as is. Only the image is
    resized (SEC's test path evaluates against the label map at the original size): load annotations after
    this transform.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``. Added keys: ``scale_factor`` (w, h),
    ``keep_ratio`` (False).

    Args:
        scale: output size ``(w, h)`` (mmcv's order), or one int for a square.
    """

    def __init__(self, scale: Union[int, Sequence[int]]):
        if isinstance(scale, int):
            scale = (scale, scale)
        if len(scale) != 2 or min(scale) < 1:
            raise ValueError(f'ZoomResize: scale must be (w, h) with positive entries, got {scale}')
        self.scale = (int(scale[0]), int(scale[1]))

    def transform(self, results: dict) -> dict:
        fields = [f for f in results.get('seg_fields', []) if f in results]
        if fields:
            raise ValueError(f'{results.get("img_path", "?")}: ZoomResize resizes only the image; load '
                             f'{fields} after it')
        img = results['img']
        h0, w0 = img.shape[:2]
        w, h = self.scale
        results['img'] = zoom_linear(img, (h, w))
        return _set_resized_shape(results, (h0, w0), (h, w), keep_ratio=False)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(scale={self.scale})'


def pil_rescale(img: np.ndarray, scale: float, order: int) -> np.ndarray:
    """IRN ``misc/imutils.py`` ``pil_rescale``: PIL resize to ``(round(H * s), round(W * s))``.

    Args:
        img: (H, W) or (H, W, 3) uint8 array.
        scale: scale factor.
        order: 3 = PIL bicubic (images), 0 = PIL nearest (label maps).

    Returns:
        np.ndarray: the resized array (the input itself when the size does not change), same dtype.
    """
    from PIL import Image
    if order not in (0, 3):
        raise ValueError(f'pil_rescale: order must be 3 (bicubic) or 0 (nearest), got {order}')
    if img.dtype != np.uint8:
        raise TypeError(f'pil_rescale: needs a uint8 array (as PIL), got {img.dtype}')
    h, w = img.shape[:2]
    size = (max(1, int(np.round(h * scale))), max(1, int(np.round(w * scale))))
    if size == (h, w):
        return img
    resample = Image.BICUBIC if order == 3 else Image.NEAREST
    return np.asarray(Image.fromarray(np.ascontiguousarray(img)).resize(size[::-1], resample))


@TRANSFORMS.register_module()
class PILRandomRescale(BaseTransform):
    """IRN's training rescale: one factor ``s ~ U(ratio_range)`` per sample; the image is resized with PIL
    bicubic and every label map with PIL nearest to ``(round(H * s), round(W * s))`` (IRN
    ``misc/imutils.py`` ``random_scale`` / ``pil_rescale``, as used by ``VOC12SegmentationDataset`` with
    ``rescale=(0.5, 1.5)``, ``order=(3, 0)``).

    mmcv's ``RandomResize(scale, ratio_range, keep_ratio=True)`` instead draws a factor of a target scale,
    fits the image into it and resizes with cv2 bilinear / nearest (cv2 nearest samples other pixels than
    PIL's). The factor is drawn from numpy's global generator (seeded by mmengine).

    Required keys: ``img`` (uint8). Modified keys: ``img``, ``img_shape``, the ``seg_fields``. Added keys:
    ``scale`` ((w, h)), ``scale_factor`` ((w / W, h / H)), ``keep_ratio`` (True).

    Args:
        ratio_range: (low, high) of the uniform scale factor.
    """

    def __init__(self, ratio_range: Tuple[float, float] = (0.5, 1.5)):
        lo, hi = (float(v) for v in ratio_range)
        if not 0 < lo <= hi:
            raise ValueError(f'PILRandomRescale: ratio_range must be 0 < low <= high, got {ratio_range}')
        self.ratio_range = (lo, hi)

    def transform(self, results: dict) -> dict:
        lo, hi = self.ratio_range
        s = lo + np.random.random() * (hi - lo)
        img = results['img']
        if img.dtype != np.uint8:
            raise TypeError(f'{results.get("img_path", "?")}: PILRandomRescale needs the uint8 image as loaded, '
                            f'got {img.dtype}')
        h0, w0 = img.shape[:2]
        results['img'] = pil_rescale(img, s, 3)
        h, w = results['img'].shape[:2]
        for key in results.get('seg_fields', []):
            if key in results:
                seg = results[key]
                if seg.min(initial=0) < 0 or seg.max(initial=0) > 255:
                    raise ValueError(f'{results.get("img_path", "?")}: {key} has values outside 0..255; PIL '
                                     f'nearest needs uint8 label maps')
                results[key] = pil_rescale(seg.astype(np.uint8), s, 0).astype(seg.dtype, copy=False)
        results['scale'] = (w, h)
        return _set_resized_shape(results, (h0, w0), (h, w), keep_ratio=True)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(ratio_range={self.ratio_range})'
