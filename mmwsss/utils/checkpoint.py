"""Strict checkpoint loading for testing and the offline generation tools.

mmengine's ``load_checkpoint`` defaults to ``strict=False``: a checkpoint of another model loads with a logged
note about the keys it did not find and the tool then runs a half-random network (a DeepLabV3 checkpoint under an
UPerNet config reports a plausible-looking mIoU). :func:`load_checkpoint_strict` refuses that unless asked to.
"""
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Sequence, Tuple

__all__ = ['CheckpointError', 'CheckpointReadError', 'CheckpointMismatchError', 'checkpoint_state_dict',
           'compare_state_dicts', 'unwrap_model',
           'load_checkpoint_strict', 'runner_load_strict', 'latest_checkpoint']

# the prefix DDP/DataParallel checkpoints carry (mmengine's default revise_keys)
DEFAULT_REVISE_KEYS = ((r'^module\.', ''), )


class CheckpointError(ValueError):
    """A checkpoint that cannot be used."""


class CheckpointReadError(CheckpointError):
    """A file that does not load as a checkpoint (truncated, not a torch file, refused by ``weights_only``)."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint whose keys or shapes differ from the model it is loaded into."""


def checkpoint_state_dict(checkpoint, revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS) -> 'OrderedDict':
    """The weights of a loaded checkpoint object (a runner checkpoint or a bare state dict), keys revised."""
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else checkpoint
    if not isinstance(state, dict):
        raise TypeError(f'expected a state dict, got {type(state).__name__}')
    out = OrderedDict()
    for k, v in state.items():
        for pattern, repl in revise_keys:
            k = re.sub(pattern, repl, k)
        out[k] = v
    return out


def unwrap_model(model):
    """The module whose ``state_dict`` a checkpoint holds: DDP and test-time wrappers (``.module``) removed.

    mmengine's ``load_state_dict`` strips model wrappers and ``BaseTTAModel`` in the same way.
    """
    from mmengine.model import BaseTTAModel, is_model_wrapper
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def compare_state_dicts(model_state: Dict, ckpt_state: Dict) -> Dict[str, List]:
    """Keys the model has and the checkpoint lacks, the reverse, and keys whose shapes differ.

    Returns:
        dict: ``missing`` (keys), ``unexpected`` (keys), ``shape`` ((key, checkpoint shape, model shape)).
    """
    missing = [k for k in model_state if k not in ckpt_state]
    unexpected = [k for k in ckpt_state if k not in model_state]
    shape = []
    for k, v in ckpt_state.items():
        if k in model_state and hasattr(v, 'shape') and hasattr(model_state[k], 'shape') \
                and tuple(v.shape) != tuple(model_state[k].shape):
            shape.append((k, tuple(v.shape), tuple(model_state[k].shape)))
    return dict(missing=missing, unexpected=unexpected, shape=shape)


def _summary(diff: Dict[str, List], show: int = 3) -> str:
    parts = []
    if diff['missing']:
        parts.append(f'{len(diff["missing"])} missing key(s) ({", ".join(diff["missing"][:show])}'
                     f'{", ..." if len(diff["missing"]) > show else ""})')
    if diff['unexpected']:
        parts.append(f'{len(diff["unexpected"])} unexpected key(s) ({", ".join(diff["unexpected"][:show])}'
                     f'{", ..." if len(diff["unexpected"]) > show else ""})')
    if diff['shape']:
        items = [f'{k}: checkpoint {list(a)} vs model {list(b)}' for k, a, b in diff['shape'][:show]]
        parts.append(f'{len(diff["shape"])} shape mismatch(es) ({"; ".join(items)}'
                     f'{"; ..." if len(diff["shape"]) > show else ""})')
    return ', '.join(parts)


def load_checkpoint_strict(model, filename: str, allow_partial: bool = False, map_location: str = 'cpu',
                           ignore: Sequence[str] = (), logger: Optional[str] = 'current',
                           revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS,
                           before_load: Optional[Callable[[dict], None]] = None) -> dict:
    """Load ``filename`` into ``model``; every weight of the model must come from the checkpoint.

    Args:
        model: Any ``nn.Module`` (DDP / TTA wrappers are looked through).
        filename: Local path or a URL that mmengine can open.
        allow_partial: Load the keys whose names and shapes match and log what did not (mmengine's non-strict
            behaviour, made explicit) instead of raising.
        map_location: Passed to ``torch.load``.
        ignore: Regular expressions of checkpoint or model keys that may differ (e.g. buffers another model
            type keeps); matched with ``re.match``.
        logger: Where the partial-load report goes (``print_log``'s ``logger``).
        before_load: Called with the checkpoint object before its weights are compared and loaded (a runner's
            ``after_load_checkpoint`` hooks, which may rewrite the state dict).

    Returns:
        dict: The loaded checkpoint object.

    Raises:
        FileNotFoundError: No such local file.
        CheckpointReadError: The file does not load as a checkpoint.
        CheckpointMismatchError: Missing/unexpected keys or shape mismatches and ``allow_partial`` is False; the
            one-line message names the checkpoint and the first offending keys.
    """
    from mmengine.logging import print_log
    from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
    filename = os.fspath(filename)
    if '://' not in filename and not osp.isfile(filename):
        raise FileNotFoundError(f'{filename}: checkpoint not found')
    try:
        checkpoint = _load_checkpoint(filename, map_location=map_location)
    except Exception as err:  # truncated zip, not a torch file, pickle refused
        raise CheckpointReadError(f'{filename}: cannot read the checkpoint ({type(err).__name__}: '
                                      f'{str(err).splitlines()[0] if str(err) else ""}); is it a complete '
                                      '.pth file?') from err
    if before_load is not None:
        before_load(checkpoint)
    state = checkpoint_state_dict(checkpoint, revise_keys)
    target = unwrap_model(model)
    model_state = target.state_dict()
    diff = compare_state_dicts(model_state, state)
    if ignore:
        pats = [re.compile(p) for p in ignore]
        keep = lambda k: not any(p.match(k) for p in pats)  # noqa: E731
        diff = dict(missing=[k for k in diff['missing'] if keep(k)],
                    unexpected=[k for k in diff['unexpected'] if keep(k)],
                    shape=[s for s in diff['shape'] if keep(s[0])])
        state = OrderedDict((k, v) for k, v in state.items() if keep(k) or k in model_state)
    bad = any(diff.values())
    if bad and not allow_partial:
        raise CheckpointMismatchError(
            f'{filename}: does not match the {type(target).__name__} of this config: {_summary(diff)}; check that '
            'the checkpoint was trained with this config, or pass --allow-partial to load only the matching weights')
    if bad:
        print_log(f'{filename}: partial load (--allow-partial): {_summary(diff, show=10)}', logger=logger,
                  level=30)
        mismatched = {k for k, _, _ in diff['shape']}
        state = OrderedDict((k, v) for k, v in state.items() if k not in mismatched and k in model_state)
    load_state_dict(target, state, strict=False, logger=logger)
    return checkpoint


def runner_load_strict(runner, filename: str, allow_partial: bool = False) -> dict:
    """Load ``filename`` into a built mmengine ``Runner``'s model the way ``load_from`` does, but strictly.

    The runner's ``after_load_checkpoint`` hooks run first (as in ``Runner.load_checkpoint``); the runner then
    counts as loaded, so ``runner.test()`` / ``runner.val()`` do not load ``load_from`` again.
    """
    checkpoint = load_checkpoint_strict(
        runner.model, filename, allow_partial=allow_partial,
        before_load=lambda ckpt: runner.call_hook('after_load_checkpoint', checkpoint=ckpt))
    runner._load_from = None
    runner._has_loaded = True
    return checkpoint


def _checkpoint_number(path: str):
    m = re.match(r'(iter|epoch)_(\d+)\.pth$', osp.basename(path))
    return (m.group(1), int(m.group(2))) if m else None


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from: the file mmengine's ``last_checkpoint`` names, or, when that
    marker is missing, empty or names a file that is gone, the newest ``iter_N.pth`` / ``epoch_N.pth``.

    mmengine rewrites ``last_checkpoint`` in place after each save; a run killed at that moment leaves it empty,
    and ``--resume`` would then fail although the checkpoints are intact.
    """
    marker = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(marker):
        with open(marker) as f:
            named = f.read().strip()
        if named and osp.isfile(named):
            return named
    found = [(p, _checkpoint_number(p)) for p in os.listdir(work_dir)] if osp.isdir(work_dir) else []
    found = [(osp.join(work_dir, p), n) for p, n in found if n is not None]
    if not found:
        return None
    kinds = {n[0] for _, n in found}
    if len(kinds) > 1:  # iteration and epoch checkpoints side by side: the newest file
        return max(found, key=lambda item: os.stat(item[0]).st_mtime_ns)[0]
    return max(found, key=lambda item: item[1][1])[0]
