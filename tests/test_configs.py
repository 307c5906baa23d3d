"""Every config parses, and every segmentation model in it builds and runs a forward pass on CPU."""
import glob
import os.path as osp
import re
import warnings

import pytest
import torch
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p and 'comparison' not in p)


# {algorithm}[-{variant}]_{backbone}[_{neck}]_{N}xb{B}[-amp]-{schedule}_{dataset}[-{variant}]-{crop}.py; the schedule
# in iterations (2k, 300it) or epochs (5e), "amp" for mixed-precision training (as mmdet's amp configs); detection
# configs have no fixed crop
CONFIG_NAME = re.compile(r'^[a-z0-9]+(-[a-z0-9]+)*_[a-z0-9]+(-[a-z0-9]+)*(_fpn)?_\d+xb\d+(-amp)?-\d+(k|it|e)'
                         r'_[a-z0-9]+(-[a-z0-9]+)*?(-\d+x\d+)?\.py$')
ALIASES = {'blpseg/r101_voc.py': 'blpseg/blpseg_r101_2xb5-42k_voc12aug-scribble-384x384.py'}


def test_config_names_follow_the_openmmlab_convention():
    names = [osp.relpath(p, osp.join(REPO, 'configs')) for p in CONFIGS]
    bad = [n for n in names if n not in ALIASES and not osp.basename(n).startswith('_')
           and not CONFIG_NAME.match(osp.basename(n))]
    assert not bad, bad
    assert not CONFIG_NAME.match('blpseg_r18_synthetic_partial_ce.py')  # the rule can fail
    for alias, target in ALIASES.items():  # an alias only inherits its full-named config
        cfg = Config.fromfile(osp.join(REPO, 'configs', alias))
        assert cfg.to_dict() == Config.fromfile(osp.join(REPO, 'configs', target)).to_dict()
        with open(osp.join(REPO, 'configs', alias)) as f:
            code = [ln for ln in f if ln.strip() and not ln.startswith('#')]
        assert code == ["_base_ = ['./%s']\n" % osp.basename(target)]


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


STAND_IN = ['configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py', 'configs/fully_supervised/deeplabv3-pretrained_r18-d8_1xb8-2k_synthetic-112x112.py']


@pytest.mark.parametrize('rel', STAND_IN)
def test_stand_in_initialisation_loads_the_pretrained_backbone(rel, tmp_path):
    """The configs that stand for "ImageNet-initialised" read the stand-in classifier's backbone, every tensor."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    import mmwsss.seg  # noqa: F401
    init_default_scope('mmseg')
    donor_cfg = Config.fromfile(osp.join(REPO, 'configs/pretrain/cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112.py'))
    assert donor_cfg.model.backbone.init_cfg is None  # the stand-in itself trains from scratch
    torch.manual_seed(1)
    donor = MODELS.build(donor_cfg.model)
    ckpt = tmp_path / 'stand_in.pth'
    torch.save({'state_dict': donor.state_dict()}, ckpt)

    cfg = Config.fromfile(osp.join(REPO, rel))
    assert cfg.model.backbone.init_cfg.checkpoint == 'work_dirs/cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112/iter_4000.pth'
    cfg.model.backbone.init_cfg.checkpoint = str(ckpt)
    torch.manual_seed(2)
    model = MODELS.build(cfg.model)
    model.init_weights()
    want = {k[len('backbone.'):]: v for k, v in donor.state_dict().items() if k.startswith('backbone.')}
    got = model.backbone.state_dict()
    assert set(got) == set(want)
    assert all(torch.equal(got[k], want[k]) for k in want)


@pytest.mark.parametrize('final', ['final', 'final-no-global'])
def test_wsscoseg_final_trains_twice_its_initial_model(final):
    """wsscoseg's schedule ratio (cores/config.py) on the embedded set: the final model trains 2x the initial model's iterations, its lr decay
    spans them, and its bound trains as long (a ratio against a bound compares equal schedules)."""
    def load(rel):
        return Config.fromfile(osp.join(REPO, 'configs', rel))

    init = load('wsscoseg/wsscoseg-init_r18-d8_1xb8-4k_synthetic-web-112x112.py')
    cfg = load('wsscoseg/wsscoseg-%s_r18-d8_1xb8-8k_synthetic-112x112.py' % final)
    bound = load('fully_supervised/deeplabv3_r18-d8_1xb8-8k_synthetic-112x112.py')
    iters = cfg.train_cfg.max_iters
    assert iters == 2 * init.train_cfg.max_iters == bound.train_cfg.max_iters
    for c in (cfg, bound):
        assert max(s['end'] for s in c.param_scheduler) == c.train_cfg.max_iters
        assert c.train_cfg.val_interval == c.train_cfg.max_iters
    # the rest of the schedule is the initial model's
    assert cfg.optim_wrapper == init.optim_wrapper
    assert cfg.param_scheduler[0] == init.param_scheduler[0]  # warm-up
    assert dict(cfg.param_scheduler[1], end=0) == dict(init.param_scheduler[1], end=0)  # poly decay but its end


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(p, osp.join(REPO, 'configs')) for p in CONFIGS])
def test_trainable_configs_save_rng_state(path):
    """A config that trains keeps the runtime's RNGStateHook (a custom_hooks list of its own must repeat it)."""
    cfg = Config.fromfile(path)
    if 'train_cfg' not in cfg:
        return
    types = [h.get('type') if isinstance(h, dict) else type(h).__name__ for h in cfg.get('custom_hooks', [])]
    assert 'RNGStateHook' in types, f'{path}: custom_hooks {types} lack RNGStateHook'


# one config per model family, trained for one step on the tiny embedded dataset with the config's own
# train pipeline and data preprocessor (the IRN stage reads its IR labels from the GT masks here)
FAMILIES = {
    'semantic': ('fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py', {}),
    'scribble': ('blpseg/blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py', {}),
    'instance': ('bestie/bestie-oracle_r18-d8_1xb8-4k_synthetic-112x112.py', {}),
    'classifier': ('wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py', {}),
    'irn': ('wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py',
            {'train_dataloader.dataset.data_prefix.seg_map_path': 'SegmentationClass'}),
}


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_one_training_step_per_model_family(family, tiny_synthetic):
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    rel, options = FAMILIES[family]
    cfg = Config.fromfile(osp.join(REPO, 'configs', rel))
    cfg.merge_from_dict(dict(options, **{
        'train_dataloader.dataset.data_root': tiny_synthetic, 'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False}))
    if cfg.default_scope == 'mmseg':
        cfg.train_dataloader.dataset.generate = False  # the tiny dataset, not the default-size one
    init_default_scope(cfg.default_scope)
    if cfg.default_scope == 'mmdet':
        import mmwsss.det  # noqa: F401
        from mmdet.registry import MODELS
    else:
        import mmwsss.seg  # noqa: F401
        from mmseg.registry import MODELS
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader, seed=0)))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)  # random weights: init_cfg files (pretrained stand-ins) are not read here
    model.train()
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    total, log_vars = model.parse_losses(losses)
    assert torch.isfinite(total) and total.item() > 0, log_vars
    total.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad and p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)


def _base_name(path):
    """The first ``_base_`` file of a config (next to it), or None."""
    with open(path) as f:
        m = re.search(r"_base_ = \[?'\./([^']+)'", f.read())
    return m.group(1) if m and osp.isfile(osp.join(osp.dirname(path), m.group(1))) else None


def _is_variant(path):
    """True when the config's base has the same name up to ``-amp``, the backbone's ``-d8`` and the crop."""
    def key(name):
        return re.sub(r'-\d+x\d+\.py$', '', name.replace('-amp-', '-').replace('-d8_', '_'))
    base = _base_name(path)
    return base is not None and key(osp.basename(path)) == key(base)


# configs that differ from their base only in precision (-amp), the backbone's output stride (a name without the
# base's -d8), crop and batch size: the main job's rows
VARIANT_CONFIGS = [p for p in CONFIGS if _is_variant(p)]


def test_every_amp_config_is_a_variant_of_its_base():
    amp = [osp.basename(p) for p in CONFIGS if '-amp-' in osp.basename(p)]
    assert amp and set(amp) <= {osp.basename(p) for p in VARIANT_CONFIGS}


@pytest.mark.parametrize('path', VARIANT_CONFIGS, ids=[osp.basename(p) for p in VARIANT_CONFIGS])
def test_variant_configs_change_only_precision_stride_crop_and_update_kernel(path):
    """A crop, -amp or output-stride variant (the main job's rows) is its base with the crop and batch size its name
    gives, bfloat16 autocast when its name says -amp (and not the base's), the backbone at output stride 32 (no
    dilation) when its name drops the base's -d8, and optionally the fused optimizer kernel: the same model
    otherwise, schedule, augmentation and evaluation."""
    base_name = _base_name(path)
    cfg, base = Config.fromfile(path), Config.fromfile(osp.join(osp.dirname(path), base_name))
    side = int(re.search(r'-(\d+)x\1\.py$', path).group(1))
    amp = '-amp-' in osp.basename(path) and '-amp-' not in base_name
    os32 = '-d8_' in base_name and '-d8_' not in osp.basename(path)
    assert amp or os32 or f'-{side}x{side}' not in base_name  # the variant changes the precision, stride or crop
    if os32:
        assert (base.model.backbone.strides, base.model.backbone.dilations) == ((1, 2, 1, 1), (1, 1, 2, 4))
        assert (cfg.model.backbone.strides, cfg.model.backbone.dilations) == ((1, 2, 2, 2), (1, 1, 1, 1))
        for c in (cfg, base):
            del c.model.backbone['strides'], c.model.backbone['dilations']
    for key in ('model', 'train_cfg', 'param_scheduler', 'test_dataloader', 'test_evaluator', 'randomness'):
        assert cfg.get(key) == base.get(key), key
    assert cfg.optim_wrapper.type == ('CPUAutocastOptimWrapper' if amp else base.optim_wrapper.type)
    assert {k: v for k, v in cfg.optim_wrapper.optimizer.items() if k != 'fused'} == \
        {k: v for k, v in base.optim_wrapper.optimizer.items() if k != 'fused'}
    fp32_modules = cfg.optim_wrapper.get('fp32_modules', [])
    if fp32_modules:  # names of the config's own model (the wrapper raises at the first step otherwise)
        from mmengine.registry import init_default_scope
        init_default_scope(cfg.default_scope)
        import mmwsss.det  # noqa: F401
        import mmwsss.seg  # noqa: F401
        from mmengine.registry import MODELS
        names = dict(MODELS.build(cfg.model).named_modules())
        assert [n for n in fp32_modules if n not in names] == []
    ours, theirs = cfg.train_dataloader.pop('dataset'), base.train_dataloader.pop('dataset')
    assert cfg.train_dataloader.pop('batch_size') == int(re.search(r'_1xb(\d+)-', path).group(1))
    base.train_dataloader.pop('batch_size')
    assert cfg.train_dataloader == base.train_dataloader
    pipe, base_pipe = ours.pop('pipeline'), theirs.pop('pipeline')
    assert ours == theirs
    assert [t['crop_size'] for t in pipe if 'crop_size' in t] == [(side, side)]
    assert [{k: v for k, v in t.items() if k != 'crop_size'} for t in pipe] == \
        [{k: v for k, v in t.items() if k != 'crop_size'} for t in base_pipe]
