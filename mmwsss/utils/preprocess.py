"""Normalise images outside the runner exactly as the model's data preprocessor does.

Tools that feed images to a model by hand (CAMs, IRN edges, mask estimation, W-OoD's OoD stream) must match the
channel order the model was trained with. mmengine's ``ImgDataPreprocessor`` stores the BGR->RGB switch as
``_channel_conversion`` but mmseg's ``SegDataPreProcessor`` as ``channel_conversion``; reading only one of them
silently feeds the other kind of model swapped channels.
"""
from typing import Optional

import torch
from torch import Tensor

__all__ = ['swaps_channels', 'normalize_like_preprocessor']


def swaps_channels(data_preprocessor) -> bool:
    """Whether ``data_preprocessor`` reverses the channel order of the loaded (BGR) images.

    Works for mmengine ``ImgDataPreprocessor`` (and mmdet's subclasses) and mmseg ``SegDataPreProcessor``.
    """
    for name in ('channel_conversion', '_channel_conversion'):
        if hasattr(data_preprocessor, name):
            return bool(getattr(data_preprocessor, name))
    return False


def normalize_like_preprocessor(data_preprocessor, img: Tensor, order: str = 'bgr',
                                device: Optional[torch.device] = None) -> Tensor:
    """(3, H, W) image -> (3, H, W) float tensor as the data preprocessor would give to the model.

    Args:
        data_preprocessor: the model's data preprocessor (its mean/std are in the model's channel order).
        img: (3, H, W) image, uint8 or float in [0, 255].
        order: channel order of ``img``: ``'bgr'`` (as loaded by mmcv/cv2, what the preprocessor receives) or
            ``'rgb'``.
        device: target device (default: ``img``'s).

    Returns:
        Tensor: (3, H, W) float32, in the model's channel order, normalised when the preprocessor normalises.
    """
    if order not in ('bgr', 'rgb'):
        raise ValueError(f"order must be 'bgr' or 'rgb', got {order!r}")
    x = img.to(device if device is not None else img.device).float()
    if x.shape[0] == 3:
        # the model sees RGB if the preprocessor swaps the loaded BGR, else BGR
        model_rgb = swaps_channels(data_preprocessor)
        if model_rgb != (order == 'rgb'):
            x = x[[2, 1, 0]]
    if getattr(data_preprocessor, '_enable_normalize', False):
        x = (x - data_preprocessor.mean) / data_preprocessor.std
    return x
