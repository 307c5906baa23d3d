"""Per-image entry points for what mmseg's ``inference_model`` does not give: class activation maps and the
random-walk pseudo label of one image.

Build the models with mmseg's ``init_model`` or with :func:`init_model` here, which is mmseg's with strict
checkpoint loading (a checkpoint of another model raises instead of leaving random weights)::

    from mmwsss.apis import inference_cams, inference_pseudo_label, init_model
    cam = init_model('configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py', 'cam.pth')
    irn = init_model('configs/wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py', 'irn.pth')
    cams = inference_cams(cam, 'demo.jpg')                # {'keys', 'cam', 'high_res'}
    label = inference_pseudo_label(cam, irn, 'demo.jpg')  # (H, W) uint8 in {0..C}

Runner checkpoints need :func:`mmwsss.utils.apply_patches` first (torch's ``weights_only`` loading); the tools
call it.

Segmentation models (every semantic config) run through ``mmseg.apis.inference_model`` / ``MMSegInferencer``,
BESTIE through ``mmdet.apis.inference_detector`` / ``DetInferencer``.
"""
import os.path as osp
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch

from ..stages.cam import compute_cam, image_to_input
from ..stages.irn import sem_seg_label

__all__ = ['init_model', 'inference_cams', 'inference_pseudo_label', 'predict_image_labels']

ImageType = Union[str, np.ndarray]


def init_model(config, checkpoint: Optional[str] = None, device: str = 'cpu', allow_partial: bool = False,
               cfg_options: Optional[dict] = None):
    """``mmseg.apis.init_model`` with strict checkpoint loading.

    mmseg's function builds the inference model (default scope, ``model.cfg``); the weights then come from
    :func:`mmwsss.utils.checkpoint.load_checkpoint_strict`, so a checkpoint whose keys or shapes differ from the
    config's model raises :class:`~mmwsss.utils.checkpoint.CheckpointMismatchError` unless ``allow_partial``;
    ``dataset_meta`` is the checkpoint's.

    Args:
        config: config path or ``mmengine.Config``.
        checkpoint: checkpoint path; ``None``: random weights.
        device: torch device.
        allow_partial: load only the matching weights of a mismatching checkpoint (logged).
        cfg_options: config overrides.

    Returns:
        the model in eval mode.
    """
    from mmseg.apis import init_model as mmseg_init_model

    from ..utils.checkpoint import load_checkpoint_strict
    if isinstance(config, str) and not osp.isfile(config):
        raise FileNotFoundError(f'{config}: config file not found')
    if isinstance(config, str):  # the dataset switches (data_root, metainfo -> num_classes) as the tools apply them
        from ..utils.config import load_config
        config, cfg_options = load_config(config, cfg_options, patches=False), None
    model = mmseg_init_model(config, None, device='cpu', cfg_options=cfg_options)
    if checkpoint is not None:
        ckpt = load_checkpoint_strict(model, checkpoint, allow_partial=allow_partial)
        meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
        if isinstance(meta, dict) and 'dataset_meta' in meta:
            model.dataset_meta = meta['dataset_meta']
    return model.to(device).eval()


def _rgb(img: ImageType) -> np.ndarray:
    """A path or an (H, W, 3) uint8 **BGR** array (mmcv/mmseg convention) -> (H, W, 3) uint8 RGB."""
    import mmcv
    if isinstance(img, str):
        arr = mmcv.imread(img, 'color')
        if arr is None:
            raise FileNotFoundError(f'{img}: image not found or unreadable')
    else:
        arr = np.asarray(img)
        if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
            raise ValueError(f'expected an (H, W, 3) uint8 BGR image, got {arr.shape} {arr.dtype}')
    return np.ascontiguousarray(arr[..., ::-1])


@torch.no_grad()
def predict_image_labels(model, img: ImageType, score_thr: Optional[float] = None) -> np.ndarray:
    """0-based foreground classes a CAM classifier sees in an image: ``sigmoid(logit) > score_thr``.

    Args:
        model: a :class:`mmwsss.models.segmentors.CAMClassifier` (or subclass), e.g. from ``init_model``.
        img: image path or (H, W, 3) uint8 BGR array.
        score_thr: probability threshold; default ``model.test_cfg['score_thr']``.

    Returns:
        np.ndarray: (K,) int64 sorted class indices.
    """
    thr = model.test_cfg['score_thr'] if score_thr is None else score_thr
    logits = model.forward_logits(image_to_input(model, _rgb(img)))[0]
    return np.flatnonzero(torch.sigmoid(logits).cpu().numpy() > thr).astype(np.int64)


def inference_cams(model,
                   img: ImageType,
                   labels: Optional[Sequence[int]] = None,
                   scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                   flip: bool = True) -> Dict[str, np.ndarray]:
    """Multi-scale CAMs of one image, as :func:`mmwsss.stages.make_cams` writes them per file.

    Args:
        model: a :class:`mmwsss.models.segmentors.CAMClassifier` (or subclass).
        img: image path or (H, W, 3) uint8 BGR array.
        labels: 0-based foreground classes of the image; ``None``: the classifier's own prediction
            (:func:`predict_image_labels`).
        scales: input scales.
        flip: add horizontally flipped inputs.

    Returns:
        dict: ``keys`` (K,), ``cam`` (K, ceil(H/4), ceil(W/4)) and ``high_res`` (K, H, W), max-normalised.
    """
    rgb = _rgb(img)
    if labels is None:
        labels = predict_image_labels(model, img if isinstance(img, str) else np.asarray(img))
    return compute_cam(model, rgb, labels, scales, flip)


def inference_pseudo_label(cam_model,
                           irn_model,
                           img: ImageType,
                           labels: Optional[Sequence[int]] = None,
                           scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                           flip: bool = True,
                           **random_walk_cfg) -> np.ndarray:
    """IRN random-walk pseudo mask of one image from a CAM classifier and a trained IRNet.

    Args:
        cam_model: a :class:`CAMClassifier`.
        irn_model: a trained :class:`mmwsss.models.segmentors.IRNet`.
        img: image path or (H, W, 3) uint8 BGR array.
        labels: 0-based foreground classes; ``None``: the classifier's prediction.
        scales, flip: CAM scales and flip.
        **random_walk_cfg: ``beta``, ``exp_times``, ``radius``, ``np_power``, ``bg_thr`` of
            :func:`mmwsss.stages.irn.sem_seg_label`.

    Returns:
        np.ndarray: (H, W) uint8 label map, 0 background, 1..C classes.
    """
    cams = inference_cams(cam_model, img, labels, scales, flip)
    return sem_seg_label(irn_model, _rgb(img), cams['keys'], cams['cam'], **random_walk_cfg)
