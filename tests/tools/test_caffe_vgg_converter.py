"""DeepLab vgg16_20M.caffemodel -> VGG16LargeFOV weights, through the Caffe protobuf wire format."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch

from ..conftest import REPO


def _tool():
    spec = importlib.util.spec_from_file_location(
        'conv', osp.join(REPO, 'tools/model_converters/caffe_vgg16_20m2mmwsss.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _varint(v):
    out = b''
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _field(num, wt, payload):
    key = _varint((num << 3) | wt)
    if wt == 2:
        return key + _varint(len(payload)) + payload
    return key + payload


def _blob(arr, new_format):
    arr = np.asarray(arr, np.float32)
    data = _field(5, 2, arr.astype('<f4').tobytes())
    if new_format:
        shape = _field(7, 2, _field(1, 2, b''.join(_varint(d) for d in arr.shape)))
        return shape + data
    dims = list(arr.shape) if arr.ndim == 4 else [1, 1, 1, arr.size]
    return b''.join(_field(i + 1, 0, _varint(d)) for i, d in enumerate(dims)) + data


def _caffemodel(state, new_format):
    layers = b''
    names = sorted({k.rsplit('.', 1)[0] for k in state})
    for name in names + ['fc8_voc12']:
        if name == 'fc8_voc12':
            blobs = [np.ones((21, 1024, 1, 1)), np.zeros(21)]
        else:
            blobs = [state[name + '.weight'].numpy(), state[name + '.bias'].numpy()]
        if new_format:  # LayerParameter: name 1, type 2, blobs 7; NetParameter.layer 100
            body = _field(1, 2, name.encode()) + _field(2, 2, b'Convolution') + \
                b''.join(_field(7, 2, _blob(b, True)) for b in blobs)
            layers += _field(100, 2, body)
        else:  # V1LayerParameter: name 4, type 5 (enum), blobs 6; NetParameter.layers 2
            body = _field(4, 2, name.encode()) + _field(5, 0, _varint(4)) + \
                b''.join(_field(6, 2, _blob(b, False)) for b in blobs)
            layers += _field(2, 2, body)
    return _field(1, 2, b'vgg16_20M') + layers


@pytest.mark.parametrize('new_format', [False, True])
def test_caffemodel_converts_to_largefov_weights(tmp_path, new_format):
    from mmwsss.models.backbones import VGG16LargeFOV
    torch.manual_seed(0)
    src = VGG16LargeFOV(arch='largefov', with_fc=True, out_indices=(5, ))
    state = {k: v for k, v in src.state_dict().items()}
    path = tmp_path / 'vgg16_20M.caffemodel'
    path.write_bytes(_caffemodel(state, new_format))
    tool = _tool()
    out = tmp_path / 'vgg16_20M.pth'
    tool.main([str(path), str(out)])
    conv = torch.load(out, weights_only=True)
    assert set(conv) == set(state)  # fc8 dropped
    dst = VGG16LargeFOV(arch='largefov', with_fc=True, out_indices=(5, ))
    dst.load_state_dict(conv, strict=True)
    for k, v in state.items():
        assert torch.equal(dst.state_dict()[k], v), k


def test_missing_layer_names_the_file(tmp_path):
    tool = _tool()
    path = tmp_path / 'bad.caffemodel'
    path.write_bytes(_field(100, 2, _field(1, 2, b'conv1_1') + _field(7, 2, _blob(np.ones((2, 3, 3, 3)), True))))
    with pytest.raises(KeyError, match=r'bad.caffemodel: layers .*conv1_2'):
        tool.convert(tool.read_caffemodel(str(path)), str(path))
