"""Checkpoint key conversion for ImageNet backbones the original methods used."""
import re
from collections import OrderedDict
from typing import Dict

__all__ = ['encoding_resnet_to_mmseg']

# PyTorch-Encoding "resnet*s" deep stem: conv1 = Sequential(conv, bn, relu, conv, bn, relu, conv), bn1;
# mmseg ResNetV1c: stem = Sequential(conv, bn, relu, conv, bn, relu, conv, bn, relu)
_STEM = {'conv1.0.': 'stem.0.', 'conv1.1.': 'stem.1.', 'conv1.3.': 'stem.3.', 'conv1.4.': 'stem.4.',
         'conv1.6.': 'stem.6.', 'bn1.': 'stem.7.'}


def encoding_resnet_to_mmseg(state_dict: Dict) -> 'OrderedDict':
    """Rename a PyTorch-Encoding ``resnet101s`` state dict (BLPSeg's backbone) to mmseg ``ResNetV1c``.

    The stem is renamed, ``layer1..4`` keep their names (same block layout), ``fc`` is dropped.
    Raises ``KeyError`` naming a key that fits neither.
    """
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('fc.'):
            continue
        for src, dst in _STEM.items():
            if key.startswith(src):
                out[dst + key[len(src):]] = value
                break
        else:
            if not re.match(r'layer[1-4]\.', key):
                raise KeyError(f'unexpected key {key!r} in a PyTorch-Encoding ResNet checkpoint')
            out[key] = value
    return out
