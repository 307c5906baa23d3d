"""Step builders for the suite files (``configs/comparison/*.py``): the train and test commands of an entry.

A suite file imports them (``from mmwsss.comparison.steps import train_test``); :func:`~mmwsss.comparison.runner.
load_suite` reads suite files as plain Python, so the import runs as written.
"""
from typing import List, Sequence

__all__ = ['NO_VAL', 'autocast_label', 'test_step', 'train_test']

# training options that skip the validation loop, for entries whose test step evaluates the same model
NO_VAL = ('val_cfg=None', 'val_dataloader=None', 'val_evaluator=None')


def autocast_label() -> str:
    """How a config with ``CPUAutocastOptimWrapper`` trains on this CPU, for a row's schedule column: ``'bf16'``, or
    ``'fp32 (no bf16 CPU kernels)'`` where the wrapper falls back to float32 (no oneDNN bfloat16 kernels)."""
    from mmwsss.engine import optim_wrappers
    return 'fp32 (no bf16 CPU kernels)' if optim_wrappers.falls_back_to_float32() else 'bf16'


def _cfg_options(options: Sequence[str]) -> List[str]:
    return ['--cfg-options', *options] if options else []


def test_step(config: str, ckpt: str, test_args: Sequence[str] = (), options: Sequence[str] = ()) -> dict:
    """``tools/test.py CONFIG CKPT`` into the entry's work dir, writing ``metrics.json`` (the row's metrics).

    ``test_args`` follow the fixed arguments; ``options`` become ``--cfg-options`` at the end.
    """
    return dict(cmd=['{python}', 'tools/test.py', config, ckpt, '--work-dir', '{work_dir}', '--metrics-out',
                     '{work_dir}/metrics.json', *test_args] + _cfg_options(options),
                creates='{work_dir}/metrics.json', kind='eval')


def train_test(config: str, iters: int, train_options: Sequence[str] = (), test_options: Sequence[str] = (),
               test_args: Sequence[str] = (), train_dir: str = '{work_dir}') -> List[dict]:
    """Train ``config`` for ``iters`` iterations into ``train_dir``, then :func:`test_step` on its last checkpoint.

    ``train_options`` / ``test_options`` are the ``--cfg-options`` of each command (e.g. :data:`NO_VAL` for
    training); a training step is done when ``train_dir/iter_<iters>.pth`` exists.
    """
    ckpt = f'{train_dir}/iter_{iters}.pth'
    train = ['{python}', 'tools/train.py', config, '--work-dir', train_dir] + _cfg_options(train_options)
    return [dict(cmd=train, creates=ckpt), test_step(config, ckpt, test_args, test_options)]
