"""One data switch: the top-level ``data_root`` (and ``metainfo``) reach every dataset, hook and evaluator."""
import glob
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p and 'comparison' not in p)
IDS = [osp.relpath(p, osp.join(REPO, 'configs')) for p in CONFIGS]
NOT_DATA = ('work_dir', 'load_from', 'resume_from')


def _strings(node, path=''):
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, f'{path}.{k}' if path else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _strings(v, f'{path}[{i}]')


def _dicts(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _dicts(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _dicts(v)


# the pretraining stand-in (the embedded set's "ImageNet") is another dataset with its own switch,
# MMWSSS_PRETRAIN_ROOT; the configs it pretrains read only its checkpoint
OWN_SWITCH = ('data/synthetic_pretrain', )


def _data_paths(cfg):
    """Every string of the config that names something under data/ (the default data folders)."""
    return [(p, s) for p, s in _strings(cfg.to_dict()) if p.split('.')[0] not in NOT_DATA
            and (s.startswith('data/') or s == 'data') and not s.startswith(OWN_SWITCH)]


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_data_root_alone_moves_every_path(path):
    from mmwsss.utils.config import load_config
    plain = load_config(path)
    assert 'data_root' in plain, f'{path}: no top-level data_root'
    moved = load_config(path, dict(data_root='/elsewhere/ds'))
    left = _data_paths(moved)
    assert not left, f'{path}: paths that did not follow data_root: {left}'
    roots = [d['data_root'] for d in _dicts(moved.to_dict()) if 'data_root' in d
             and not str(d['data_root']).startswith(OWN_SWITCH)]
    assert roots and all(r == '/elsewhere/ds' or r.startswith('/elsewhere/ds/') for r in roots), roots
    # as many paths as before point under the new root (nothing was dropped on the way)
    assert len([s for _, s in _strings(moved.to_dict()) if s.startswith('/elsewhere/ds')]) >= len(_data_paths(plain))


# one config per dataset base, and the configs that declare their own data_root
ENV_CONFIGS = ['blpseg/blpseg_r101_2xb5-42k_voc12aug-scribble-384x384.py',
               'blpseg/blpseg_r101_2xb4-53k_pascal-context-scribble-384x384.py',
               'fully_supervised/deeplabv3_r101-d8_4xb4-40k_voc12aug-512x512.py',
               'bestie/bestie-cls_hrnet48_4xb4-50k_voc12aug-416x416.py',
               'fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py',
               'bestie/bestie-cls_r18-d8_1xb8-4k_synthetic-112x112.py',
               'bestie/mask-rcnn-bestie-pseudo_r18_fpn_1xb8-2k_synthetic.py',
               'wood/wood_r50-d16_1xb16-5e_voc12aug-512x512.py',
               'wood/wood-hard-ood_r18-d8_1xb8-500it_synthetic-112x112.py']


@pytest.mark.parametrize('rel', ENV_CONFIGS)
def test_environment_variable_sets_the_data_root(rel, monkeypatch):
    path = osp.join(REPO, 'configs', rel)
    from mmwsss.utils.config import load_config
    monkeypatch.setenv('MMWSSS_DATA_ROOT', '/from/env')
    cfg = load_config(path)
    assert not _data_paths(cfg), _data_paths(cfg)
    assert cfg.data_root == '/from/env'


def test_switch_is_idempotent_and_keeps_explicit_roots():
    from mmengine.config import Config

    from mmwsss.utils.config import apply_dataset_switches
    cfg = Config(dict(data_root='new', train_dataloader=dict(dataset=dict(type='XDataset', data_root='old')),
                      pre=dict(type='YDataset', data_root='other'),
                      val_evaluator=dict(type='CocoMetric', ann_file='old/annotations/val.json')))
    apply_dataset_switches(cfg, before=dict(data_root='old'))
    apply_dataset_switches(cfg, before=dict(data_root='old'))
    assert cfg.train_dataloader.dataset.data_root == 'new'
    assert cfg.val_evaluator.ann_file == 'new/annotations/val.json'
    assert cfg.pre.data_root == 'other'


def test_metainfo_sets_every_head_and_dataset(tmp_path):
    from mmwsss.utils.config import load_config
    classes = ('kettle', 'lamp', 'mug', 'plant', 'stool')
    cfg_file = tmp_path / 'toy_blpseg.py'
    cfg_file.write_text(f"_base_ = [{osp.join(REPO, 'configs/blpseg/blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py')!r}]\n"
                        f"data_root = '/toy'\nmetainfo = dict(classes={classes!r})\n")
    cfg = load_config(str(cfg_file))
    assert cfg.num_classes == 6
    ncs = [d['num_classes'] for d in _dicts(cfg.model.to_dict()) if 'num_classes' in d]
    assert ncs and set(ncs) == {6}
    unl = [d['scribble_unlabeled_to'] for d in _dicts(cfg.to_dict()) if 'scribble_unlabeled_to' in d]
    assert unl and set(unl) == {6}
    assert cfg.train_dataloader.dataset.metainfo['classes'] == classes


def test_metainfo_in_detection_scope_counts_foreground(tmp_path):
    from mmwsss.utils.config import load_config
    cfg_file = tmp_path / 'toy_bestie.py'
    cfg_file.write_text(f"_base_ = [{osp.join(REPO, 'configs/bestie/bestie-cls_r18-d8_1xb8-4k_synthetic-112x112.py')!r}]\n"
                        "data_root = '/toy'\nmetainfo = dict(classes=('background', 'a', 'b', 'c'))\n")
    cfg = load_config(str(cfg_file))
    assert cfg.num_classes == 3
    ncs = {d['num_classes'] for d in _dicts(cfg.model.to_dict()) if 'num_classes' in d}
    assert ncs == {3}


def test_contradicting_num_classes_is_an_error(tmp_path):
    from mmwsss.utils.config import load_config
    cfg_file = tmp_path / 'bad.py'
    cfg_file.write_text(f"_base_ = [{osp.join(REPO, 'configs/blpseg/blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py')!r}]\n"
                        "metainfo = dict(classes=('a', 'b'))\nnum_classes = 5\n")
    with pytest.raises(ValueError, match=r'num_classes = 5 contradicts metainfo.classes'):
        load_config(str(cfg_file))
