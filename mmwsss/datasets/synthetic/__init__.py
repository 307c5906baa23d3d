"""Embedded synthetic weak-supervision dataset (pure numpy + PIL + OpenCV; no torch, no mmseg).

See ``docs/synthetic_dataset.md`` for the design, the statistics and the layout it writes.
"""
from .generator import (CLASS_CONTEXT, GENERATOR_VERSION, PRETRAIN_VERSION, SYNTH_CLASSES, SYNTH_PALETTE,
                        center_point, coseg_mask, ensure_pretrain_dataset, ensure_synthetic_dataset,
                        generate_pretrain_dataset, generate_synthetic_dataset, make_labels, render_ood,
                        render_pretrain, render_scene, render_web, summarize_dataset, voc_palette_flat)
from .rle import decode_rle, encode_rle, mask_bbox
from .scribbles import region_distance, scribble_map

__all__ = [
    'SYNTH_CLASSES', 'SYNTH_PALETTE', 'GENERATOR_VERSION', 'CLASS_CONTEXT', 'voc_palette_flat',
    'generate_synthetic_dataset', 'ensure_synthetic_dataset', 'summarize_dataset', 'render_scene',
    'render_web', 'render_ood', 'make_labels', 'center_point', 'coseg_mask', 'encode_rle', 'decode_rle',
    'mask_bbox', 'region_distance', 'scribble_map', 'PRETRAIN_VERSION', 'render_pretrain',
    'generate_pretrain_dataset', 'ensure_pretrain_dataset',
]
