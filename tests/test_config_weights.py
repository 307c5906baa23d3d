"""Every weight a config reads is a zoo URL that mmengine resolves or a documented local file."""
import glob
import json
import os.path as osp
import re

import pytest

from mmwsss.utils.config import load_config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p and 'comparison' not in p)
CONFIG_STEMS = {osp.splitext(osp.basename(p))[0] for p in CONFIGS}


def _weights(node, path=''):
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield path + '.checkpoint', node['checkpoint']
        for k, v in node.items():
            if k == 'pretrained' and isinstance(v, str):
                yield f'{path}.{k}', v
            yield from _weights(v, f'{path}.{k}' if path else k)
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _weights(v, f'{path}[{i}]')


def _zoo():
    import mmengine
    from mmengine.runner.checkpoint import get_external_models
    with open(osp.join(mmengine.__path__[0], 'hub', 'torchvision_0.12.json')) as f:
        tv = json.load(f)
    return get_external_models(), tv


def _readmes():
    return {p: open(p).read() for p in glob.glob(osp.join(REPO, 'configs', '*', 'README.md'))}


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(p, osp.join(REPO, 'configs')) for p in CONFIGS])
def test_weight_reference_resolves_or_is_documented(path):
    cfg = load_config(path)
    refs = list(_weights(cfg.get('model', {}).to_dict() if cfg.get('model') else {}))
    if cfg.get('load_from'):
        refs.append(('load_from', cfg.load_from))
    openmmlab, torchvision = _zoo()
    for where, ref in refs:
        if ref.startswith('open-mmlab://'):
            assert ref[len('open-mmlab://'):] in openmmlab, f'{path}: {where} {ref} is not in the OpenMMLab zoo'
        elif ref.startswith('torchvision://'):
            assert ref[len('torchvision://'):] in torchvision, f'{path}: {where} {ref} is not a torchvision model'
        elif ref.startswith(('http://', 'https://')):
            continue
        elif ref.startswith('work_dirs/'):
            # the output of an earlier stage: a config of the repository writes it
            stem = ref.split('/')[1]
            assert stem in CONFIG_STEMS, f'{path}: {where} {ref}: no config {stem}.py writes it'
        else:
            name = osp.basename(ref)
            docs = [p for p, text in _readmes().items()
                    if name in text and 'tools/model_converters/' in text and re.search(r'https?://', text)]
            assert docs, (f'{path}: {where} {ref} is neither a zoo URL nor a local file whose source URL and '
                          'converter a method README gives')


def test_pam_vgg_warns_when_its_imagenet_weights_are_missing(monkeypatch):
    """BESTIE's PAM VGG reads torchvision's vgg16 like the other ImageNet backbones, and warns when it cannot."""
    import urllib.error
    import warnings

    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner.checkpoint import CheckpointLoader

    import mmwsss.det  # noqa: F401
    from mmwsss.utils.compat import apply_patches
    apply_patches()
    cfg = load_config(osp.join(REPO, 'configs/bestie/pam_vgg16-d8_2xb5-15e_voc12aug-321x321.py'))
    assert cfg.model.backbone.init_cfg.checkpoint == 'torchvision://vgg16'

    def offline(*args, **kwargs):
        raise urllib.error.URLError('no network')

    monkeypatch.setitem(CheckpointLoader._schemes, 'torchvision://', offline)
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model.init_weights()
    assert any('torchvision://vgg16' in str(w.message) and 'random' in str(w.message) for w in caught), \
        [str(w.message) for w in caught]
