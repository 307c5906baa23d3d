"""Test-time augmentation and dense-CRF post-processing wrappers for mmseg segmentors."""
from typing import List

import numpy as np
import torch
from mmengine.model import BaseTTAModel
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

__all__ = ['WSSSTTAModel', 'CRFPostProcessor']


@MODELS.register_module()
class WSSSTTAModel(BaseTTAModel):
    """Merge multi-scale/flip predictions by averaging softmax probabilities or raw logits.

    mmseg's ``SegTTAModel`` averages softmax probabilities and keeps only the argmax; BLPSeg averages
    logits, and a CRF after TTA needs the merged probabilities. This model writes
    ``pred_sem_seg``, ``seg_logits`` (the merged logits, or the log of the merged probabilities) and
    ``seg_probs`` (merged class probabilities, (C, H, W)).

    Args:
        module: The segmentor config.
        merge: ``'prob'`` (average softmax) or ``'logit'`` (average logits, then softmax).
    """

    def __init__(self, module, merge: str = 'prob', data_preprocessor=None) -> None:
        if merge not in ('prob', 'logit'):
            raise ValueError(f'merge must be "prob" or "logit", got {merge!r}')
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        self.merge = merge

    def merge_preds(self, data_samples_list: List[List[SegDataSample]]) -> List[SegDataSample]:
        merged = []
        for samples in data_samples_list:
            logits = torch.stack([s.seg_logits.data for s in samples])  # (A, C, H, W)
            if self.merge == 'logit':
                mean_logits = logits.mean(0)
                probs = mean_logits.softmax(0)
            else:
                probs = logits.softmax(1).mean(0)
                mean_logits = probs.clamp_min(1e-12).log()
            out = SegDataSample()
            out.set_metainfo(dict(samples[0].metainfo))
            out.set_data({'seg_logits': PixelData(data=mean_logits), 'seg_probs': PixelData(data=probs),
                          'pred_sem_seg': PixelData(data=probs.argmax(0, keepdim=True))})
            if 'gt_sem_seg' in samples[0]:
                out.set_data({'gt_sem_seg': samples[0].gt_sem_seg})
            merged.append(out)
        return merged


@MODELS.register_module()
class CRFPostProcessor(BaseTTAModel):
    """Run a dense CRF on the (upsampled) class probabilities of a segmentor or TTA model.

    The probabilities are taken from ``seg_probs`` (written by :class:`WSSSTTAModel`) or the softmax
    of ``seg_logits`` (mmseg segmentors upsample them to the original image size); the image is read
    again from ``img_path`` at its original size. ``pred_sem_seg`` becomes the CRF argmax and
    ``seg_probs`` the CRF marginals.

    Args:
        module: Segmentor or TTA model config.
        preset: CRF parameter preset name of :mod:`mmwsss.crf` (``'sec_test'``, ``'wsscoseg'``, ...).
        backend: CRF backend (``'auto'``, ``'torch'``, ``'pydensecrf'``).
    """

    def __init__(self, module, preset: str = 'sec_test', backend: str = 'auto',
                 data_preprocessor=None) -> None:
        # A BaseTTAModel so that mmengine's load_state_dict unwraps it (recursively, also around a
        # TTA model) and `load_from` checkpoints land in the segmentor. The runner injects the
        # config's top-level data_preprocessor; the wrapped module keeps doing the preprocessing.
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        # mmengine unwraps only one TTA level when loading; around a TTA model, expose the innermost
        # segmentor as `module` (checkpoints load into it) and predict through the TTA model
        self.predictor = self.module
        inner = self.module
        while isinstance(inner, BaseTTAModel):
            inner = inner.module
        self.module = inner
        self.preset = preset
        self.backend = backend

    def merge_preds(self, data_samples_list):
        raise NotImplementedError('CRFPostProcessor post-processes the predictions of its module; '
                                  'it merges nothing itself')

    def test_step(self, data):
        import mmcv

        from mmwsss.crf import crf_postprocess
        preds = self.predictor.test_step(data)
        for sample in preds:
            if 'seg_probs' in sample:
                probs = sample.seg_probs.data
            else:
                probs = sample.seg_logits.data.softmax(0)
            image = mmcv.imread(sample.img_path, channel_order='rgb')
            if image is None:
                raise FileNotFoundError(f'{sample.img_path}: cannot read the image for the CRF')
            if image.shape[:2] != tuple(probs.shape[-2:]):
                raise ValueError(f'{sample.img_path}: image {image.shape[:2]} and prediction '
                                 f'{tuple(probs.shape[-2:])} differ in size')
            q = crf_postprocess(probs.detach().float().cpu().numpy(), np.ascontiguousarray(image),
                                preset=self.preset, backend=self.backend)
            q = torch.as_tensor(np.asarray(q), device=probs.device)
            sample.set_data({'seg_probs': PixelData(data=q),
                             'pred_sem_seg': PixelData(data=q.argmax(0, keepdim=True))})
        return preds
