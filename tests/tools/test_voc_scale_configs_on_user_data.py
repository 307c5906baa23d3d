"""The VOC-scale configs read a VOC-layout dataset that mmwsss did not make, with its own classes.

The dataset is the toy custom set plus the files the VOC-scale configs list (docs/dataset_layout.md):
train_aug splits, SegmentationClassAug, sec_cues, WSSS_maps, Peak_points, pseudo masks. Every dataset of every
config (train/val/test dataloaders and hook dataloaders) is built from ``data_root`` + ``metainfo`` alone.
"""
import glob
import importlib.util
import os.path as osp
import shutil

import numpy as np
import pytest

from ..conftest import REPO

TOY = ('kettle', 'lamp', 'mug', 'plant', 'stool')
VOC_SCALE = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
                   if ('voc12aug' in p or 'pascal-context' in p or '_web-' in p) and 'comparison' not in p)


@pytest.fixture(scope='module')
def user_root(tmp_path_factory):
    spec = importlib.util.spec_from_file_location('toy', osp.join(REPO, 'tools/dataset_converters/make_toy_custom.py'))
    toy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(toy)
    root = str(tmp_path_factory.mktemp('user') / 'VOC')
    toy.generate(root, num_train=4, num_val=2, image_size=48, num_web_per_class=1, num_ood=2)
    sets = osp.join(root, 'ImageSets', 'Segmentation')
    shutil.copy(osp.join(sets, 'train.txt'), osp.join(sets, 'train_aug.txt'))
    shutil.copy(osp.join(sets, 'train_cls.txt'), osp.join(sets, 'train_aug_cls.txt'))
    for dst in ('SegmentationClassAug', 'WSSS_maps', 'pseudo_masks/wood', 'pseudo_masks/wsscoseg', 'ir_label'):
        shutil.copytree(osp.join(root, 'SegmentationClass'), osp.join(root, dst))
    shutil.copytree(osp.join(root, 'Center_points'), osp.join(root, 'Peak_points'))
    from mmwsss.datasets.sec_cues import save_sec_cue_file, write_input_list
    ids = open(osp.join(sets, 'train.txt')).read().split()
    labels = {ln.split()[0]: [int(c) for c in ln.split()[1:]] for ln in open(osp.join(sets, 'train_cls.txt'))}
    cues = {}
    for i, img_id in enumerate(ids):
        cls = np.array([c + 1 for c in labels[img_id]])
        cues[f'{i}_labels'] = cls
        cues[f'{i}_cues'] = np.stack([np.concatenate([[0], cls]), np.arange(len(cls) + 1), np.zeros(len(cls) + 1)])
    save_sec_cue_file(osp.join(root, 'sec_cues', 'localization_cues.pickle.gz'), cues)
    write_input_list(osp.join(root, 'sec_cues', 'input_list.txt'), ids)
    return root


def _datasets(cfg):
    out = []
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            out.append((key, cfg[key].dataset))
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        for k, v in hook.items():
            if isinstance(v, dict) and 'dataset' in v:
                out.append((f'custom_hooks[{i}].{k}', v['dataset']))
    return out


@pytest.mark.parametrize('path', VOC_SCALE, ids=[osp.relpath(p, osp.join(REPO, 'configs')) for p in VOC_SCALE])
def test_every_dataset_builds_from_data_root_and_metainfo(path, user_root):
    from mmengine.registry import DefaultScope

    from mmwsss.utils.config import load_config
    cfg = load_config(path, dict(data_root=user_root, metainfo=dict(classes=TOY)))
    scope = cfg.get('default_scope', 'mmseg')
    if scope == 'mmdet':
        import mmwsss.det  # noqa: F401
        from mmdet.registry import DATASETS
    else:
        import mmwsss.seg  # noqa: F401
        from mmseg.registry import DATASETS
    built = 0
    with DefaultScope.overwrite_default_scope(scope):
        for where, ds_cfg in _datasets(cfg):
            ds = DATASETS.build(ds_cfg.to_dict() if hasattr(ds_cfg, 'to_dict') else ds_cfg)
            assert len(ds) > 0, f'{path}: {where} is empty'
            classes = tuple(ds.metainfo.get('classes', ()))
            if classes:
                assert classes in (TOY, ('background', ) + TOY), f'{path}: {where} classes {classes}'
            built += 1
    assert built >= 1
    heads = [v for k, v in _flat(cfg.model.to_dict()) if k.endswith('num_classes')]
    assert set(heads) <= {5, 6}, heads  # every head follows the class list (IRN has none)


def _flat(node, prefix=''):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _flat(v, f'{prefix}.{k}' if prefix else k)
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _flat(v, f'{prefix}[{i}]')
    else:
        yield prefix, node


@pytest.mark.parametrize('path', VOC_SCALE, ids=[osp.relpath(p, osp.join(REPO, 'configs')) for p in VOC_SCALE])
def test_training_input_reaches_the_model(path, user_root):
    """The first training batch of the user's data goes through the config's own pipeline and data preprocessor
    into the config's model (built with the user's class count): what a training run does before its first step."""
    import torch
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    from mmwsss.utils.compat import cpu_dist_cfg
    from mmwsss.utils.config import load_config
    cfg = load_config(path, dict(data_root=user_root, metainfo=dict(classes=TOY)))
    cpu_dist_cfg(cfg)
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    scope = cfg.get('default_scope', 'mmseg')
    if scope == 'mmdet':
        import mmwsss.det  # noqa: F401
        from mmdet.registry import MODELS
    else:
        import mmwsss.seg  # noqa: F401
        from mmseg.registry import MODELS
    with DefaultScope.overwrite_default_scope(scope):
        batch = next(iter(Runner.build_dataloader(cfg.train_dataloader, seed=0)))
        model = MODELS.build(cfg.model)  # weights are not read: the pretrained files are not here
        data = model.data_preprocessor(batch, True)
    inputs = data['inputs']
    assert isinstance(inputs, torch.Tensor) and inputs.shape[:2] == (2, 3) and torch.isfinite(inputs).all()
    assert len(data['data_samples']) == 2
