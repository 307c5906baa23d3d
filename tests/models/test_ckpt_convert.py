import pytest
import torch

from mmwsss.models.utils.ckpt_convert import encoding_resnet_to_mmseg


def test_encoding_resnet_keys_load_strictly_into_deep_stem_resnetv1c():
    from mmseg.registry import MODELS
    import mmwsss.seg  # noqa: F401
    # BLPSeg's deep stem 64-64-128 (stem_channels=128); depth 18 keeps the test small
    model = MODELS.build(dict(type='ResNetV1c', depth=18, stem_channels=128, base_channels=16))
    target = model.state_dict()
    inverse = {'stem.0.': 'conv1.0.', 'stem.1.': 'conv1.1.', 'stem.3.': 'conv1.3.', 'stem.4.': 'conv1.4.',
               'stem.6.': 'conv1.6.', 'stem.7.': 'bn1.'}
    encoding = {}
    for key, value in target.items():
        for dst, src in inverse.items():
            if key.startswith(dst):
                key = src + key[len(dst):]
                break
        encoding[key] = torch.randn_like(value.float()).to(value.dtype)
    encoding['fc.weight'] = torch.zeros(1000, 128)
    converted = encoding_resnet_to_mmseg(encoding)
    model.load_state_dict(converted, strict=True)
    assert torch.equal(model.stem[7].weight, encoding['bn1.weight'])
    assert torch.equal(model.layer1[0].conv1.weight, encoding['layer1.0.conv1.weight'])
    with pytest.raises(KeyError, match="unexpected key 'head.weight'"):
        encoding_resnet_to_mmseg({'head.weight': torch.zeros(1)})
