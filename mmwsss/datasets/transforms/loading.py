"""Loading and packing of images with weak annotations (scribbles, image labels, extra maps)."""
from typing import Optional, Sequence

import mmcv
import mmengine.fileio as fileio
import numpy as np
import torch
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

from ...utils.file_cache import DecodedFileCache

__all__ = ['LoadWSSSImage', 'LoadWSSSAnnotations', 'PackWSSSInputs', 'read_label_map', 'label_values']

_STANDARD_SEG_FIELDS = ('gt_seg_map', 'gt_edge_map', 'gt_depth_map')


def _decode(data: bytes, path: str, what: str, **kwargs) -> np.ndarray:
    """``mmcv.imfrombytes`` whose failures (``None`` from OpenCV; ``OSError``/``SyntaxError`` from Pillow on a
    truncated or corrupt file) name the file."""
    try:
        img = mmcv.imfrombytes(data, **kwargs)
    except (OSError, SyntaxError, ValueError) as err:
        raise ValueError(f'{path}: cannot decode {what} ({err}); the file is truncated or corrupt: '
                         're-create or re-download it') from err
    if img is None:
        raise ValueError(f'{path}: cannot decode {what}; the file is truncated, corrupt or not an image: '
                         're-create or re-download it')
    return img


def read_label_map(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read a single-channel label PNG (palette indices, not colours) as ``(H, W)`` uint8."""
    try:
        data = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{path}: label map not found')
    label = _decode(data, path, 'label map', flag='unchanged', backend='pillow')
    if label.ndim != 2:
        raise ValueError(f'{path}: label map must have one channel (palette or grey PNG), '
                         f'got shape {label.shape}')
    return label.astype(np.uint8)


def label_values(label: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a label map: ``np.unique(label)``, counted in one pass for uint8 maps."""
    if label.dtype == np.uint8:
        return np.flatnonzero(np.bincount(label.ravel(), minlength=256)).astype(np.uint8)
    return np.unique(label)


@TRANSFORMS.register_module()
class LoadWSSSImage(LoadImageFromFile):
    """``LoadImageFromFile`` whose errors name the file and the problem.

    Args:
        cache_mb: Keep up to this many MB of decoded images in memory per process and decode each file once
            (:class:`~mmwsss.utils.file_cache.DecodedFileCache`; the pipeline gets the same arrays); 0 (default):
            decode on every read. For datasets that fit in memory, such as the embedded one.
        **kwargs: As ``LoadImageFromFile``.
    """

    def __init__(self, cache_mb: float = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cache = DecodedFileCache(cache_mb)

    def _read(self, path: str) -> np.ndarray:
        try:
            data = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'{path}: image not found')
        return _decode(data, path, 'image', flag=self.color_type, backend=self.imdecode_backend)

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        if self.backend_args is None:
            img = self.cache.get(path, self._read, (self.color_type, self.imdecode_backend))
        else:
            img = self._read(path)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadWSSSAnnotations(BaseTransform):
    """Load the semantic map, extra maps (scribbles, pseudo masks, ...) and image-level labels.

    Adds ``gt_seg_map`` and every extra map to ``results['seg_fields']`` so mmseg's geometric
    transforms move them with the image (crop padding uses 255 = ignore), and sets
    ``results['gt_img_labels']``: a float32 multi-hot vector of length ``num_classes`` whose index 0
    (background) is 1 (always, or see ``img_labels_background``).

    Args:
        with_seg: Load ``seg_map_path`` as ``gt_seg_map``.
        extra_maps: Names whose ``<name>_path`` the dataset provides (e.g. ``('gt_scribble',)``).
        scribble_unlabeled_to: If set, value 255 ("not annotated") of ``gt_scribble`` becomes this
            value (BLPSeg uses ``num_classes``); 255 then only marks crop padding.
        img_labels_from: ``'auto'`` (label file, else the semantic map, else the scribble), ``'file'``,
            ``'seg'`` or ``'scribble'``.
        img_labels_background: ``'always'``: background (index 0) is 1 in every image, as image-level labels
            are read by the WSSS methods; ``'present'``: 1 only when value 0 appears in the map the labels are read
            from (``'seg'`` or ``'scribble'``), as the wsscoseg final model's global-branch target (wsscoseg
            ``cores/symbols/final_fcn_resnet50.py``); a label file says nothing about background, so ``'present'``
            with labels from the file raises.
        check_values: Raise on values outside ``[0, num_classes) ∪ {255}`` and on maps whose size
            differs from the image.
        cache_mb: Keep up to this many MB of decoded maps in memory per process, as ``LoadWSSSImage``
            (0: decode on every read).

    An image given for inference (``mmseg.apis.inference_model``, ``MMSegInferencer``) carries no annotation
    at all (no ``seg_map_path``, no ``<name>_path`` of the extra maps, no ``img_labels``); the transform then
    passes the results through, so a config's test pipeline serves both evaluation and inference. A dataset
    sample that lacks only some of them still raises.
    """

    def __init__(self, with_seg: bool = True, extra_maps: Sequence[str] = (),
                 scribble_unlabeled_to: Optional[int] = None, img_labels_from: str = 'auto',
                 check_values: bool = True, backend_args: Optional[dict] = None,
                 img_labels_background: str = 'always', cache_mb: float = 0) -> None:
        if img_labels_from not in ('auto', 'file', 'seg', 'scribble'):
            raise ValueError(f'img_labels_from must be auto/file/seg/scribble, got {img_labels_from!r}')
        if img_labels_background not in ('always', 'present'):
            raise ValueError(f"img_labels_background must be 'always' or 'present', got {img_labels_background!r}")
        self.img_labels_background = img_labels_background
        self.with_seg = with_seg
        self.extra_maps = tuple(extra_maps)
        self.scribble_unlabeled_to = scribble_unlabeled_to
        self.img_labels_from = img_labels_from
        self.check_values = check_values
        self.backend_args = backend_args
        self.cache = DecodedFileCache(cache_mb)

    def _load(self, results: dict, key: str, path: str) -> np.ndarray:
        if self.backend_args is None:
            label = self.cache.get(path, read_label_map)
        else:
            label = read_label_map(path, self.backend_args)
        if self.check_values:
            ref = results.get('ori_shape')
            if ref is not None and tuple(label.shape) != tuple(ref[:2]):
                raise ValueError(f'{path}: {key} has size {label.shape[0]}x{label.shape[1]} but its image '
                                 f'{results.get("img_path")} has size {ref[0]}x{ref[1]}')
            num_classes = results.get('num_classes')
            if num_classes is not None:
                values = label_values(label)
                bad = values[(values >= num_classes) & (values != 255)]
                if bad.size:
                    raise ValueError(f'{path}: {key} has label values {bad.tolist()} outside the '
                                     f'{num_classes} classes (0..{num_classes - 1}, 255 = ignore)')
        return label

    @staticmethod
    def _annotation_keys(results: dict, extra_maps: Sequence[str]) -> bool:
        keys = ['seg_map_path', 'img_labels'] + [f'{name}_path' for name in extra_maps]
        return any(k in results for k in keys)

    def transform(self, results: dict) -> dict:
        results.setdefault('seg_fields', [])
        if not self._annotation_keys(results, self.extra_maps):
            return results  # an image to predict on, not a dataset sample
        if self.with_seg:
            seg = self._load(results, 'gt_seg_map', results['seg_map_path'])
            label_map = results.get('label_map')
            if label_map:
                mapped = seg.copy()
                for old, new in label_map.items():
                    mapped[seg == old] = new
                seg = mapped
            if results.get('reduce_zero_label'):
                seg = seg.astype(np.int64)
                seg[seg == 0] = 255
                seg = seg - 1
                seg[seg == 254] = 255
                seg = seg.astype(np.uint8)
            results['gt_seg_map'] = seg
            if 'gt_seg_map' not in results['seg_fields']:
                results['seg_fields'].append('gt_seg_map')
        for name in self.extra_maps:
            path = results.get(f'{name}_path')
            if path is None:
                raise KeyError(f'{results.get("img_path")}: the dataset gives no {name}_path; add '
                               f'{name}=FOLDER to the dataset\'s extra_maps')
            label = self._load(results, name, path)
            if name == 'gt_scribble' and self.scribble_unlabeled_to is not None:
                nc = results.get('num_classes')
                if nc is not None and self.scribble_unlabeled_to < nc:
                    raise ValueError(f'{path}: scribble_unlabeled_to={self.scribble_unlabeled_to} is a class of '
                                     f'this {nc}-class dataset, so unannotated pixels would train as that class; '
                                     f'set it to num_classes ({nc}) (the config switch does so when it follows '
                                     f'num_classes)')
                label = label.copy()
                label[label == 255] = self.scribble_unlabeled_to
            results[name] = label
            if name not in results['seg_fields']:
                results['seg_fields'].append(name)
        num_classes = results.get('num_classes')
        if num_classes is not None:
            results['gt_img_labels'] = self._img_labels(results, num_classes)
        return results

    def _img_labels(self, results: dict, num_classes: int) -> np.ndarray:
        vec = np.zeros(num_classes, dtype=np.float32)
        vec[0] = 1.0
        source = self.img_labels_from
        if source == 'auto':
            if results.get('img_labels') is not None:
                source = 'file'
            elif 'gt_seg_map' in results:
                source = 'seg'
            else:
                source = 'scribble'
        if source == 'file':
            if results.get('img_labels') is None:
                raise ValueError(f'{results.get("img_path")}: img_labels_from="file" but the dataset '
                                 'has no cls_label_file')
            if self.img_labels_background == 'present':
                raise ValueError(f'{results.get("img_path")}: img_labels_background="present" needs the labels from '
                                 'a map (img_labels_from="seg" or "scribble"), not from the label file')
            fg = np.asarray(results['img_labels'], dtype=np.int64) + 1
        else:
            key = 'gt_seg_map' if source == 'seg' else 'gt_scribble'
            if key not in results:
                raise KeyError(f'{results.get("img_path")}: img_labels_from={source!r} needs {key}')
            values = label_values(results[key])
            fg = values[(values > 0) & (values < num_classes)]
            if self.img_labels_background == 'present':
                vec[0] = float(0 in values)
        vec[fg] = 1.0
        return vec


@TRANSFORMS.register_module()
class PackWSSSInputs(PackSegInputs):
    """``PackSegInputs`` that also packs weak annotations.

    Every extra seg field ``name`` becomes ``data_sample.<name>`` as ``PixelData`` with a long tensor
    of shape (1, H, W) (or (K, H, W) for an (H, W, K) field), and ``gt_img_labels`` becomes a float
    tensor of shape (num_classes,).
    """

    def __init__(self, meta_keys=('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                                  'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label',
                                  'img_id')) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        sample = packed['data_samples']
        for name in results.get('seg_fields', []):
            if name in _STANDARD_SEG_FIELDS or name not in results:
                continue
            arr = np.asarray(results[name])
            arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
            tensor = torch.from_numpy(np.ascontiguousarray(arr))
            if not tensor.is_floating_point():
                tensor = tensor.long()
            sample.set_data({name: PixelData(data=tensor)})
        if 'gt_img_labels' in results:
            sample.set_data({'gt_img_labels': torch.as_tensor(results['gt_img_labels'],
                                                              dtype=torch.float32)})
        return packed
