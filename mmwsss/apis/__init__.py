"""Inference entry points. Semantic models run through ``mmseg.apis`` (``init_model``, ``inference_model``,
``MMSegInferencer``), BESTIE through ``mmdet.apis``; mmwsss adds CAMs and pseudo labels of an image. The offline
stages that write them for a whole dataset are in :mod:`mmwsss.stages`."""
from .inference import inference_cams, inference_pseudo_label, init_model, predict_image_labels

__all__ = ['init_model', 'inference_cams', 'inference_pseudo_label', 'predict_image_labels']
