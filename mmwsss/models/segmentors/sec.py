"""SEC segmentor: losses on the low-resolution logits, SEC's test-time inference (``deploy/demo.py``)."""
from typing import List

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import add_prefix
from torch import Tensor

from ...utils.preprocess import swaps_channels

__all__ = ['SECSegmentor', 'images_for_crf', 'sec_upsample_probs']


def images_for_crf(inputs: Tensor, data_preprocessor, size) -> Tensor:
    """Un-normalise a batch and resize it to the logits grid for the training CRF, in SEC's BGR order.

    SEC's ``CRFLayer`` (``pylayers/pylayers/pylayers.py``) zooms the 321x321 input blob to 41x41 with
    ``scipy.ndimage.zoom(order=1)``, i.e. bilinear with ``align_corners=True``, adds the mean back, rounds, and
    hands the pixels to the CRF in the blob's channel order, BGR. The order matters: the permutohedral lattice
    of the CRF (pydensecrf and mmwsss's torch backend) scales each feature dimension differently, so a
    permuted colour vector gives slightly different marginals (on 41x41 grids ~1 cell in 3,000 changes argmax).

    Args:
        inputs: (N, 3, H, W) normalised images from the data preprocessor.
        data_preprocessor: the model's ``SegDataPreProcessor`` (``mean``/``std`` buffers).
        size: (h, w) of the logits.

    Returns:
        Tensor: (N, h, w, 3) uint8 images, channels in BGR order.
    """
    x = inputs.detach().float()
    if getattr(data_preprocessor, '_enable_normalize', False):
        x = x * data_preprocessor.std + data_preprocessor.mean
    if swaps_channels(data_preprocessor):
        x = x.flip(1)  # the preprocessor made the batch RGB: back to the loaded (and SEC's) BGR order
    x = F.interpolate(x, size=tuple(size), mode='bilinear', align_corners=True)
    return x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous()


def sec_upsample_probs(logits: Tensor, meta: dict) -> Tensor:
    """Softmax of one image's low-res logits, brought to its original size (SEC ``deploy/demo.py``).

    Handles batch padding (logits cover ``batch_input_shape``; the image occupies the top-left
    ``img_shape``) and horizontal/vertical flips. Without padding the upsampling is one corner-aligned
    bilinear resize from the logits grid to ``ori_shape``, like ``scipy.ndimage.zoom(order=1)``. As scipy, it
    interpolates the float32 softmax in float64 and returns float32, so the result equals SEC's to float32
    rounding (a float32 interpolation differs by up to ~4e-6 at 41 -> 375x500).

    Args:
        logits: (C, h, w) logits.
        meta: the sample's metainfo (``ori_shape``, ``img_shape``, optional ``batch_input_shape``,
            ``flip``, ``flip_direction``).

    Returns:
        Tensor: (C, H_ori, W_ori) probabilities.
    """
    probs = F.softmax(logits[None].float(), dim=1).double()
    img_shape = tuple(meta.get('img_shape', meta['ori_shape']))[:2]
    batch_shape = tuple(meta.get('batch_input_shape', img_shape))[:2]
    if batch_shape != img_shape:
        probs = F.interpolate(probs, size=batch_shape, mode='bilinear', align_corners=True)
        probs = probs[..., :img_shape[0], :img_shape[1]]
    if meta.get('flip', False):
        direction = meta.get('flip_direction', 'horizontal')
        if direction == 'horizontal':
            probs = probs.flip(-1)
        elif direction == 'vertical':
            probs = probs.flip(-2)
        else:
            raise ValueError(f'{meta.get("img_path", "?")}: unsupported flip direction {direction!r}')
    probs = F.interpolate(probs, size=tuple(meta['ori_shape'])[:2], mode='bilinear', align_corners=True)
    return probs[0].float()


@MODELS.register_module()
class SECSegmentor(EncoderDecoder):
    """EncoderDecoder for SEC.

    Training: backbone -> ``SECHead`` logits (e.g. 41x41) -> seeding / expansion / constrain losses on
    that grid; the constrain loss gets the un-normalised input downscaled to the grid (SEC ``CRFLayer``).

    Test (``test_cfg.mode='whole'``): softmax of the low-res logits -> one bilinear corner-aligned
    upsample to the original size -> if ``test_cfg.crf`` is set (e.g. ``'sec_test'``: clip at 1e-5,
    unary -log p, 10 iterations), the dense CRF on the original RGB image read from ``img_path``
    (SEC ``deploy/demo.py``) -> argmax. ``seg_logits`` holds the log-probabilities, so ``tools/test.py --crf`` (which
    takes their softmax) applies the same CRF. ``mode='slide'`` falls back to mmseg's inference.

    Args:
        **kwargs: :class:`mmseg.models.EncoderDecoder` arguments; ``test_cfg`` may add ``crf``
            (preset name or params of ``mmwsss.crf``) and ``crf_backend`` ('auto').
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.with_auxiliary_head:
            raise ValueError('SECSegmentor: auxiliary heads need dense labels; SEC has none')

    def loss(self, inputs: Tensor, data_samples) -> dict:
        """Args: inputs (N, 3, H, W) normalised images; data_samples with gt_cues / gt_img_labels."""
        x = self.extract_feat(inputs)
        seg_logits = self.decode_head.forward(x)
        images = None
        if getattr(self.decode_head, 'needs_images', False):
            images = images_for_crf(inputs, self.data_preprocessor, seg_logits.shape[-2:])
        losses = self.decode_head.loss_by_feat(seg_logits, data_samples, images=images)
        return add_prefix(losses, 'decode')

    def predict(self, inputs: Tensor, data_samples=None) -> List:
        if self.test_cfg.get('mode', 'whole') != 'whole':
            return super().predict(inputs, data_samples)
        if data_samples is None:
            raise ValueError('SECSegmentor.predict needs data_samples (ori_shape, img_path)')
        x = self.extract_feat(inputs)
        logits = self.decode_head.forward(x)
        batch_shape = tuple(inputs.shape[-2:])
        crf = self.test_cfg.get('crf', None)
        for i, sample in enumerate(data_samples):
            meta = dict(sample.metainfo)
            meta.setdefault('batch_input_shape', batch_shape)
            probs = sec_upsample_probs(logits[i], meta)
            if crf is not None:
                probs = self._crf(probs, meta, crf)
            sample.set_data({
                'seg_logits': PixelData(data=probs.clamp_min(1e-12).log()),
                'pred_sem_seg': PixelData(data=probs.argmax(0, keepdim=True))
            })
        return data_samples

    def _crf(self, probs: Tensor, meta: dict, params) -> Tensor:
        """SEC ``deploy/demo.py``: dense CRF on the original image (the ``sec_test`` preset clips p at 1e-5)."""
        import mmcv

        from mmwsss.crf import dense_crf
        path = meta.get('img_path')
        image = mmcv.imread(path, channel_order='rgb') if path else None
        if image is None:
            raise FileNotFoundError(f'{path}: cannot read the image for the SEC test CRF')
        if image.shape[:2] != tuple(probs.shape[-2:]):
            raise ValueError(f'{path}: image {image.shape[:2]} and prediction {tuple(probs.shape[-2:])} differ')
        p = probs.float().cpu()
        q = dense_crf(p[None], torch.from_numpy(np.ascontiguousarray(image))[None], params=params,
                      backend=self.test_cfg.get('crf_backend', 'auto'))
        return torch.as_tensor(np.asarray(q) if not isinstance(q, Tensor) else q)[0].to(probs)
