"""Convert DeepLab's ``vgg16_20M.caffemodel`` (SEC's ImageNet initialisation) to VGG16LargeFOV weights.

Source: the DeepLab "init models" page, http://liangchiehchen.com/projects/Init%20Models.html
(``vgg16_20M.caffemodel``: VGG-16 with fc6/fc7 reduced to 1024 channels, fc6 a 3x3 convolution).

Usage::

    python tools/model_converters/caffe_vgg16_20m2mmwsss.py vgg16_20M.caffemodel checkpoints/vgg16_20M.pth

No Caffe needed: the caffemodel (a protobuf ``NetParameter``, old ``layers`` or new ``layer`` format) is read
directly. Every layer with weights (conv1_1 ... conv5_3, fc6, fc7; fc8 is dropped, the heads train their own)
becomes ``<layer>.weight`` / ``<layer>.bias``, the names of :class:`mmwsss.models.backbones.VGG16LargeFOV`, which
the SEC config loads through ``init_cfg=dict(type='Pretrained', checkpoint='checkpoints/vgg16_20M.pth')``.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, Iterator, List, Tuple

import numpy as np

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

KEEP = tuple(f'conv{b}_{k}' for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for k in range(1, n + 1)) + \
    ('fc6', 'fc7')


def _varint(buf: bytes, pos: int) -> Tuple[int, int]:
    out = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        out |= (b & 0x7F) << shift
        if not b & 0x80:
            return out, pos
        shift += 7


def fields(buf: bytes) -> Iterator[Tuple[int, int, object]]:
    """(field number, wire type, value) of a protobuf message; length-delimited values are bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos)
        elif wt == 1:
            val, pos = buf[pos:pos + 8], pos + 8
        elif wt == 2:
            n, pos = _varint(buf, pos)
            val, pos = buf[pos:pos + n], pos + n
        elif wt == 5:
            val, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f'unsupported protobuf wire type {wt} (field {num})')
        yield num, wt, val


def _blob(buf: bytes) -> np.ndarray:
    dims4, shape, data = {}, None, []
    for num, wt, val in fields(buf):
        if num in (1, 2, 3, 4) and wt == 0:  # num, channels, height, width (old format)
            dims4[num] = val
        elif num == 7:  # BlobShape
            shape = []
            for n2, w2, v2 in fields(val):
                if n2 == 1 and w2 == 2:  # packed int64
                    p = 0
                    while p < len(v2):
                        d, p = _varint(v2, p)
                        shape.append(d)
                elif n2 == 1:
                    shape.append(v2)
        elif num == 5 and wt == 2:  # packed floats
            data.append(np.frombuffer(val, '<f4'))
        elif num == 5 and wt == 5:
            data.append(np.frombuffer(val, '<f4'))
    arr = np.concatenate(data) if data else np.zeros(0, np.float32)
    if shape is None:
        shape = [dims4.get(i, 1) for i in (1, 2, 3, 4)]
    if int(np.prod(shape)) != arr.size:
        raise ValueError(f'blob of shape {shape} holds {arr.size} values')
    return arr.reshape(shape)


def read_caffemodel(path: str) -> Dict[str, List[np.ndarray]]:
    """Layer name -> its blobs, from a ``.caffemodel`` file."""
    with open(path, 'rb') as f:
        buf = f.read()
    layers: Dict[str, List[np.ndarray]] = {}
    for num, wt, val in fields(buf):
        if wt != 2 or num not in (2, 100):  # V1 'layers' = 2, 'layer' = 100
            continue
        name_field, blob_field = (4, 6) if num == 2 else (1, 7)
        name, blobs = None, []
        for n2, w2, v2 in fields(val):
            if n2 == name_field and w2 == 2:
                name = v2.decode('utf-8')
            elif n2 == blob_field and w2 == 2:
                blobs.append(_blob(v2))
        if name is not None and blobs:
            layers[name] = blobs
    if not layers:
        raise ValueError(f'{path}: no layer with weights (not a caffemodel?)')
    return layers


def convert(layers: Dict[str, List[np.ndarray]], path: str = 'caffemodel') -> dict:
    import torch
    missing = [n for n in KEEP if n not in layers]
    if missing:
        raise KeyError(f'{path}: layers {missing} not found (has {sorted(layers)})')
    out = {}
    for name in KEEP:
        w, b = layers[name][0], layers[name][1]
        if w.ndim == 2:  # an InnerProduct-style fc stored as (out, in): not the reduced fc6/fc7
            raise ValueError(f'{path}: {name} is a fully connected layer {w.shape}; vgg16_20M stores fc6/fc7 '
                             'as convolutions')
        out[f'{name}.weight'] = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))
        out[f'{name}.bias'] = torch.from_numpy(np.ascontiguousarray(b.reshape(-1), dtype=np.float32))
    return out


def main(argv=None):
    import torch

    from mmwsss.utils import atomic_write
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('src', help='vgg16_20M.caffemodel')
    p.add_argument('dst', help='output .pth (state dict)')
    a = p.parse_args(argv)
    state = convert(read_caffemodel(a.src), a.src)
    with atomic_write(a.dst) as f:
        torch.save(state, f)
    print(f'{len(state)} tensors written to {a.dst}')


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
