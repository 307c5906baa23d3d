"""Config loading shared by the command-line tools, and the dataset switches of every config.

Dataset switches
----------------
Three top-level keys of a config describe its data, and the tools (every ``tools/*.py`` loads configs
through :func:`load_config`) pass them on to every place that needs them:

``data_root``
    Every ``data_root`` in the config (datasets, wrapped datasets, hook dataloaders, evaluators) that holds
    the value a ``data_root`` had anywhere in the config's inheritance chain is set to the final top-level
    value, and so is every path string that starts with such a value (e.g. ``CocoMetric.ann_file``). A
    ``data_root`` a config deliberately sets to another folder (a pretraining set, say) keeps it. The
    configs read the top-level default from the ``MMWSSS_DATA_ROOT`` environment variable.
``metainfo``
    ``dict(classes=..., palette=...)``: given at the top level, it is passed to every dataset whose
    ``data_root`` follows the switch and that sets no ``metainfo`` of its own or one that a top-level
    ``metainfo`` had in the inheritance chain. Semantic datasets count
    the background (prepended when the list lacks it), instance datasets drop it.
``num_classes``
    Follows ``metainfo``: the semantic count (background included) in ``mmseg``-scope configs, the
    foreground count in ``mmdet``-scope ones. Every ``num_classes`` (heads, OoD datasets) and
    ``scribble_unlabeled_to`` (the "not annotated" scribble label) in the config that holds a value the
    top-level ``num_classes`` had in the inheritance chain is set to it.

So a dataset config that inherits a method config and sets ``data_root`` and ``metainfo`` trains that
method on another dataset; ``--cfg-options data_root=DIR`` moves every path at once. Code that loads a
config with ``mmengine.Config.fromfile`` and builds a runner itself calls :func:`apply_dataset_switches`.
"""
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Set

__all__ = ['load_tool_config', 'load_config', 'apply_dataset_switches', 'chain_values', 'known_top_level_keys',
           'config_class_names']

# top-level keys that mmengine's Runner or the mmwsss tools read even when a config leaves them out
RUNNER_KEYS = ('model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg', 'val_cfg',
               'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
               'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher', 'env_cfg',
               'log_processor', 'log_level', 'visualizer', 'default_scope', 'randomness', 'experiment_name',
               'runner_type', 'model_wrapper_cfg', 'custom_imports', 'compile', 'strategy', 'tta_model',
               'tta_pipeline')
TOOL_KEYS = ('class_names', 'num_classes', 'crf_preset', 'crf_backend', 'ms_scales', 'random_walk', 'peak_cfg',
             'data_root', 'metainfo')


def known_top_level_keys(cfg) -> set:
    """What ``--cfg-options`` may set at the top level: the config's keys and those the runner/tools read."""
    return set(cfg.keys()) | set(RUNNER_KEYS) | set(TOOL_KEYS)

SWITCH_KEYS = ('data_root', 'num_classes', 'metainfo')
_CHAIN_CACHE: Dict[tuple, List[dict]] = {}


def _base_files(path: str) -> List[str]:
    from mmengine.config import Config
    out = []
    for base in Config._get_base_files(path):
        base_path, _ = Config._get_cfg_path(base, path)
        out.append(base_path)
    return out


def chain_values(path: str, keys=SWITCH_KEYS) -> List[dict]:
    """The top-level ``keys`` of ``path`` and of every config it inherits from (each file loaded on its own,
    with its bases), as a list of dicts, ``path`` first."""
    from mmengine.config import Config
    path = osp.abspath(path)
    key = (path, tuple(keys), os.environ.get('MMWSSS_DATA_ROOT'), os.environ.get('MMWSSS_PRETRAIN_ROOT'))
    if key not in _CHAIN_CACHE:
        cfg = Config.fromfile(path, import_custom_modules=False, format_python_code=False)
        vals = [{k: _plain(cfg.get(k)) for k in keys if k in cfg}]
        for base in _base_files(path):
            vals += chain_values(base, keys)
        _CHAIN_CACHE[key] = vals
    return [dict(v) for v in _CHAIN_CACHE[key]]


def _plain(value):
    return value.to_dict() if hasattr(value, 'to_dict') else value


def _same_meta(a, b) -> bool:
    a, b = _plain(a), _plain(b)
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    norm = dict(classes=lambda v: [str(x) for x in v], palette=lambda v: [list(map(int, c)) for c in v])
    return {k: norm.get(k, lambda v: v)(v) for k, v in a.items()} == {k: norm.get(k, lambda v: v)(v)
                                                                       for k, v in b.items()}


def _count_classes(classes, scope: str) -> int:
    if isinstance(classes, str) or not isinstance(classes, (list, tuple)) or not classes:
        raise ValueError(f'metainfo.classes must be a non-empty list of names, got {classes!r}')
    has_bg = classes[0] == 'background'
    if scope == 'mmdet':
        return len(classes) - int(has_bg)
    return len(classes) + int(not has_bg)


def _walk(node: Any, visit) -> None:
    if isinstance(node, dict):
        visit(node)
        for v in list(node.values()):
            _walk(v, visit)
    elif isinstance(node, (list, tuple)):
        for v in node:
            _walk(v, visit)


def _rewrite_paths(node: Any, old_roots: Set[str], new: str) -> Any:
    """Return ``node`` with every string equal to or under one of ``old_roots`` moved under ``new``."""
    if isinstance(node, str):
        if node == new or node.startswith(new.rstrip('/') + '/'):
            return node  # already under the new root (applying the switch twice changes nothing)
        for old in sorted(old_roots, key=len, reverse=True):
            if node == old:
                return new
            if node.startswith(old.rstrip('/') + '/'):
                return osp.join(new, node[len(old.rstrip('/')) + 1:])
        return node
    if isinstance(node, dict):
        for k in list(node.keys()):
            node[k] = _rewrite_paths(node[k], old_roots, new)
        return node
    if isinstance(node, list):
        node[:] = [_rewrite_paths(v, old_roots, new) for v in node]
        return node
    if isinstance(node, tuple):
        return type(node)(_rewrite_paths(v, old_roots, new) for v in node)
    return node


_NOT_DATA = ('work_dir', 'load_from', 'resume_from', 'data_root')


def apply_dataset_switches(cfg, config_path: Optional[str] = None, before: Optional[dict] = None):
    """Pass the top-level ``data_root``, ``metainfo`` and ``num_classes`` on (see the module docstring).

    Args:
        cfg: The loaded ``mmengine.Config`` (modified in place and returned).
        config_path: The file ``cfg`` came from (default ``cfg.filename``); its inheritance chain gives the
            values that follow the switches.
        before: Values of the switches before ``--cfg-options`` were merged, if any.
    """
    path = config_path or getattr(cfg, 'filename', None)
    chain = chain_values(path) if path and osp.isfile(path) else []
    inherited = chain[1:]
    if before:
        chain.append(dict(before))
    scope = cfg.get('default_scope', 'mmseg')

    new_root = cfg.get('data_root')
    if isinstance(new_root, str):
        old_roots = {v['data_root'] for v in chain if isinstance(v.get('data_root'), str) and v['data_root']}
        old_roots.discard(new_root)
        if old_roots:
            for k in list(cfg.keys()):
                if k not in _NOT_DATA:
                    cfg[k] = _rewrite_paths(cfg[k], old_roots, new_root)
    metainfo = cfg.get('metainfo')
    if metainfo is not None:
        if 'classes' not in metainfo:
            raise ValueError("top-level metainfo needs 'classes'")
        derived = _count_classes(list(metainfo['classes']), scope)
        declared = cfg.get('num_classes')
        own = chain[0].get('num_classes') if chain else None
        if declared is not None and own is not None and own == declared and declared != derived \
                and not any(v.get('num_classes') == declared for v in inherited):
            raise ValueError(f'{path}: num_classes = {declared} contradicts metainfo.classes '
                             f'({len(metainfo["classes"])} names -> {derived} in {scope} scope); drop num_classes, '
                             'it follows the class list')
        cfg.num_classes = derived
        old_meta = [v['metainfo'] for v in chain if v.get('metainfo') is not None]
        _set_metainfo(cfg, _plain(metainfo), new_root if isinstance(new_root, str) else None, old_meta)
    new_nc = cfg.get('num_classes')
    if isinstance(new_nc, int):
        old_nc = {v['num_classes'] for v in chain if isinstance(v.get('num_classes'), int)}
        old_nc.discard(new_nc)
        if old_nc:
            def visit(d):
                for key in ('num_classes', 'scribble_unlabeled_to'):
                    if isinstance(d.get(key), int) and d[key] in old_nc:
                        d[key] = new_nc
            for k in list(cfg.keys()):
                if k != 'num_classes':
                    _walk(cfg[k], visit)
    return cfg


def _set_metainfo(cfg, metainfo: dict, root: Optional[str], old_meta: List[dict]) -> None:
    def visit(d):
        if 'type' not in d or 'data_root' not in d or not _is_dataset_type(d['type']):
            return
        if root is not None and d['data_root'] != root:
            return
        if 'metainfo' not in d or any(_same_meta(d['metainfo'], m) for m in old_meta):
            d['metainfo'] = dict(metainfo)
    for k in list(cfg.keys()):
        if k != 'metainfo':
            _walk(cfg[k], visit)


def _is_dataset_type(type_name) -> bool:
    """A dataset config's ``type``: the registered dataset names of mmseg, mmdet and mmwsss end in
    ``Dataset``; the W-OoD wrapper is left out (its inner datasets get the metainfo)."""
    if not isinstance(type_name, str):
        return isinstance(type_name, type) and type_name.__name__.endswith('Dataset')
    name = type_name.split('.')[-1]
    return name.endswith('Dataset') and name != 'WOoDMixDataset'


def config_data_root(cfg) -> str:
    """``data_root`` of the config's training dataset (looking through wrapper datasets' ``dataset``)."""
    ds = cfg.train_dataloader.dataset
    while 'data_root' not in ds and 'dataset' in ds:
        ds = ds.dataset
    return ds.data_root


def config_class_names(cfg) -> Optional[List[str]]:
    """Semantic class names of a config, background first: the top-level ``metainfo`` (background prepended
    when missing), else the ``class_names`` variable, else ``None``."""
    meta = cfg.get('metainfo')
    if meta is not None and meta.get('classes'):
        names = [str(c) for c in meta['classes']]
        return names if names[0] == 'background' else ['background'] + names
    names = cfg.get('class_names')
    return list(names) if names else None


def load_config(config: str, cfg_options: Optional[dict] = None, patches: bool = True):
    """``Config.fromfile`` + ``--cfg-options`` + :func:`apply_dataset_switches` (after the compat patches).

    Raises:
        FileNotFoundError: No config file.
        UnknownConfigKeyError: A ``cfg_options`` key starts with a top-level key that the config does not have
            and neither the runner nor a tool reads (a typo such as ``trian_cfg.max_iters`` would otherwise be
            ignored and the full schedule run).
    """
    from mmengine.config import Config

    from .cli import check_cfg_options
    if patches:  # the tools opt in; library callers (mmwsss.apis) pass False
        from .compat import apply_patches
        apply_patches()
    if not osp.isfile(config):
        raise FileNotFoundError(f'{config}: config file not found')
    cfg = Config.fromfile(config)
    before = {k: cfg.get(k) for k in SWITCH_KEYS if k in cfg}
    if cfg_options is not None:
        check_cfg_options(cfg_options, known_top_level_keys(cfg), config)
        cfg.merge_from_dict(cfg_options)
    return apply_dataset_switches(cfg, config, before)


def load_tool_config(config: str, cfg_options: Optional[dict] = None, work_dir: Optional[str] = None,
                     launcher: str = 'none'):
    """Load a config the way mmseg/mmdet tools do, after applying mmwsss's compatibility patches, with the
    dataset switches applied (:func:`load_config`).

    ``work_dir`` precedence: argument > config > ``./work_dirs/<config name>``.
    """
    cfg = load_config(config, cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg
