"""Every config parses, and every segmentation model in it builds and runs a forward pass on CPU."""
import glob
import os.path as osp
import warnings

import pytest
import torch
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p and 'comparison' not in p)


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(p, osp.join(REPO, 'configs')) for p in CONFIGS])
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.get('default_scope') in ('mmseg', 'mmdet'), path
    assert 'model' in cfg and 'train_dataloader' in cfg
    if cfg.default_scope != 'mmseg' or cfg.model.get('type') not in ('EncoderDecoder',):
        return  # method models have their own tests; here the generic segmentors
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    import mmwsss.seg  # noqa: F401
    from mmwsss.utils.compat import cpu_dist_cfg
    init_default_scope('mmseg')
    cpu_dist_cfg(cfg)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = MODELS.build(cfg.model)
        model.init_weights()
    model.eval()
    num_classes = cfg.model.decode_head.num_classes
    with torch.no_grad():
        out = model(torch.rand(1, 3, 64, 64), mode='tensor')
    assert out.shape[:2] == (1, num_classes)
