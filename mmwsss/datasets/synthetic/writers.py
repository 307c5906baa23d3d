"""Embedded synthetic dataset, files: the on-disk layout of ``docs/dataset_layout.md`` (images, class/instance
masks, image labels, scribbles, points, COCO instances, web images with co-segmentation-like masks, OoD images).

``build``/``build_pretrain`` write into a fresh folder; :mod:`.generator` makes that folder appear atomically.
"""
import json
import os
import time
from typing import Dict

import numpy as np
from PIL import Image

from .rle import encode_rle, mask_bbox
from .scenes import (CLASS_CONTEXT, GENERATOR_VERSION, IGNORE, MIN_VISIBLE, P_CONTEXT_PRETRAIN, P_CONTEXT_WITH,
                     P_CONTEXT_WITHOUT, PRETRAIN_VERSION, SYNTH_CLASSES, SYNTH_PALETTE, _PART_CODE, _STREAM_SCRIBBLE,
                     center_point, make_labels, render_ood, render_pretrain, render_scene, render_web,
                     voc_palette_flat)
from .scribbles import scribble_map

__all__ = ['build', 'build_pretrain']

# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------
def _save_jpg(path, rgb):
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    Image.frombytes('RGB', (rgb.shape[1], rgb.shape[0]), rgb.tobytes()).save(path, format='JPEG', quality=95)


def _save_png(path, arr, palette=None):
    """uint8 PNG: mode 'P' with ``palette`` (values are the palette indices) or mode 'L'."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    im = Image.frombytes('P' if palette is not None else 'L', (arr.shape[1], arr.shape[0]), arr.tobytes())
    if palette is not None:
        im.putpalette(palette)
    im.save(path, format='PNG')


def _write_text(path, lines):
    with open(path, 'w') as f:
        f.write(''.join(line + '\n' for line in lines))


def _write_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f, sort_keys=True, separators=(',', ':'))


def _write_split(root: str, split: str, n: int, p: Dict, palette, contexts: Dict, log) -> None:
    S, seed = p['image_size'], p['seed']
    ids_list, cls_lines = [], []
    images, anns = [], []
    ctx_out = {}
    t0 = time.time()
    for i in range(n):
        name = f'synth_{split}_{i:06d}'
        sc = render_scene(seed, split, i, S)
        lab = make_labels(sc['ids'], sc['inst_classes'], p['void_border'])
        _save_jpg(os.path.join(root, 'JPEGImages', name + '.jpg'), sc['image'])
        _save_png(os.path.join(root, 'SegmentationClass', name + '.png'), lab['cls'], palette)
        _save_png(os.path.join(root, 'SegmentationObject', name + '.png'), lab['obj'], palette)
        present = sorted({int(c) for c in np.unique(lab['cls']) if 0 < c < IGNORE})
        ids_list.append(name)
        cls_lines.append(' '.join([name] + [str(c - 1) for c in present]))
        srng = np.random.default_rng([int(seed), _PART_CODE[split], i, _STREAM_SCRIBBLE])
        _save_png(os.path.join(root, 'Scribbles', name + '.png'),
                  scribble_map(srng, lab['cls'], lab['obj'], lab['classes']))
        pts = []
        image_id = i + 1
        images.append({'id': image_id, 'file_name': name + '.jpg', 'height': S, 'width': S})
        for k, (c, vis) in enumerate(zip(lab['classes'], lab['visible']), start=1):
            x, y = center_point(vis, lab['obj'] == k)
            pts.append('%d %d %d %.3f' % (x, y, c - 1, 1.0))
            anns.append({'id': len(anns) + 1, 'image_id': image_id, 'category_id': int(c),
                         'segmentation': encode_rle(vis), 'area': int(vis.sum()), 'bbox': mask_bbox(vis),
                         'iscrowd': 0})
        _write_text(os.path.join(root, 'Center_points', name + '.txt'), pts)
        ctx_out[name] = sc['contexts']
    _write_text(os.path.join(root, 'ImageSets', 'Segmentation', f'{split}.txt'), ids_list)
    _write_text(os.path.join(root, 'ImageSets', 'Segmentation', f'{split}_cls.txt'), cls_lines)
    cats = [{'id': c, 'name': SYNTH_CLASSES[c], 'supercategory': 'synthetic'} for c in range(1, len(SYNTH_CLASSES))]
    _write_json(os.path.join(root, 'annotations', f'instances_{split}.json'),
                {'images': images, 'annotations': anns, 'categories': cats,
                 'info': {'description': f'mmwsss synthetic {split}', 'version': GENERATOR_VERSION}})
    contexts[split] = ctx_out
    log(f'{split}: {n} images, {len(anns)} instances ({time.time() - t0:.1f} s)')


def _write_web(root, p, palette, contexts, log):
    S, seed, n = p['image_size'], p['seed'], p['num_web_per_class']
    names, ctx_out = [], {}
    t0 = time.time()
    for c in range(1, len(SYNTH_CLASSES)):
        for i in range(n):
            name = f'{c}_{i:06d}'
            w = render_web(seed, c, i, S)
            _save_jpg(os.path.join(root, 'web_images', name + '.jpg'), w['image'])
            _save_png(os.path.join(root, 'web_labels', name + '.png'), w['noisy'].astype(np.uint8) * c, palette)
            _save_png(os.path.join(root, 'web_labels_gt', name + '.png'), w['mask'].astype(np.uint8) * c, palette)
            names.append(name)
            ctx_out[name] = w['contexts']
    _write_text(os.path.join(root, 'web_train_list.txt'), names)
    contexts['web'] = ctx_out
    log(f'web: {len(names)} images ({time.time() - t0:.1f} s)')


def _write_ood(root, p, contexts, log):
    S, seed, n = p['image_size'], p['seed'], p['num_ood']
    names, ctx_out = [], {}
    t0 = time.time()
    for i in range(n):
        name = f'ood_{i:06d}'
        o = render_ood(seed, i, S)
        _save_jpg(os.path.join(root, 'ood_images', name + '.jpg'), o['image'])
        names.append(name + '.jpg')
        ctx_out[name] = o['contexts']
    _write_text(os.path.join(root, 'ood_list.txt'), names)
    contexts['ood'] = ctx_out
    log(f'ood: {n} images ({time.time() - t0:.1f} s)')


_SUBDIRS = ('JPEGImages', 'SegmentationClass', 'SegmentationObject', 'ImageSets/Segmentation', 'Scribbles',
            'Center_points', 'annotations', 'web_images', 'web_labels', 'web_labels_gt', 'ood_images')


def build(root: str, p: Dict, log) -> None:
    for d in _SUBDIRS:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    palette = voc_palette_flat()
    contexts: Dict[str, Dict] = {}
    _write_split(root, 'train', p['num_train'], p, palette, contexts, log)
    _write_split(root, 'val', p['num_val'], p, palette, contexts, log)
    _write_web(root, p, palette, contexts, log)
    _write_ood(root, p, contexts, log)
    _write_json(os.path.join(root, 'contexts.json'), contexts)
    meta = {
        'generator': GENERATOR_VERSION,
        'classes': list(SYNTH_CLASSES),
        'palette': SYNTH_PALETTE,
        'seed': p['seed'],
        'params': p,
        'sizes': {'image_size': p['image_size'], 'train': p['num_train'], 'val': p['num_val'],
                  'web': p['num_web_per_class'] * (len(SYNTH_CLASSES) - 1), 'ood': p['num_ood']},
        'class_context': {SYNTH_CLASSES[c]: v for c, v in CLASS_CONTEXT.items()},
        'context_probability': {'with_class': P_CONTEXT_WITH, 'without_class': P_CONTEXT_WITHOUT},
        'min_visible_area': MIN_VISIBLE,
    }
    # meta.json last: its presence marks a complete dataset.
    _write_json(os.path.join(root, 'meta.json'), meta)


def build_pretrain(root: str, p: Dict, log) -> None:
    S, seed, n = p['image_size'], p['seed'], p['num_per_class']
    for d in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    palette = voc_palette_flat()
    names, cls_lines, ctx_out = [], [], {}
    t0 = time.time()
    for c in range(1, len(SYNTH_CLASSES)):
        for i in range(n):
            name = f'pre_{c}_{i:06d}'
            r = render_pretrain(seed, c, i, S)
            _save_jpg(os.path.join(root, 'JPEGImages', name + '.jpg'), r['image'])
            _save_png(os.path.join(root, 'SegmentationClass', name + '.png'), r['mask'].astype(np.uint8) * c,
                      palette)
            names.append(name)
            cls_lines.append(f'{name} {c - 1}')
            ctx_out[name] = r['contexts']
    _write_text(os.path.join(root, 'ImageSets', 'Segmentation', 'train.txt'), names)
    _write_text(os.path.join(root, 'ImageSets', 'Segmentation', 'train_cls.txt'), cls_lines)
    _write_json(os.path.join(root, 'contexts.json'), {'train': ctx_out})
    log(f'pretrain: {len(names)} images ({time.time() - t0:.1f} s)')
    _write_json(os.path.join(root, 'meta.json'), {
        'generator': PRETRAIN_VERSION, 'classes': list(SYNTH_CLASSES), 'palette': SYNTH_PALETTE,
        'seed': p['seed'], 'params': p, 'sizes': {'image_size': S, 'train': len(names)},
        'context_probability': P_CONTEXT_PRETRAIN})

