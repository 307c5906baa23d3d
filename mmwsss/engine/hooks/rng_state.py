"""Random-number-generator state in checkpoints, so that ``--resume`` continues exactly like an uninterrupted run.

mmengine's runner checkpoints hold the weights, optimizer, schedulers and the iteration, but not the state of the
random generators. A resumed run therefore draws other dropout masks (and, with ``num_workers=0``, other
augmentations) than the run it continues, and whether a resume reproduces depends on where it lands. This hook
stores, in every checkpoint,

* the states of ``random``, ``numpy`` and torch (CPU, and every CUDA device when CUDA is available), of every rank
  in distributed training, and
* the train dataloader's sampler seed and the dataloader worker seed,

and restores them on resume at the point where the interrupted run stood: an iteration-based loop first replays
(``next``) the batches already trained, which draws augmentation randomness, so the generator states are restored
after that replay, right before the first new batch is fetched. Worker processes are seeded by the dataloader
(``seed + worker id``) and replay the same batches, so their states follow.

Validation during training runs with the generators saved and restored around it: whether or where a run
validates does not change its training randomness (a resumed run does not repeat the validation that followed
the checkpoint).
"""
import random
from functools import partial
from typing import Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS

__all__ = ['RNGStateHook', 'get_rng_state', 'set_rng_state']

KEY = 'rng_state'


def get_rng_state() -> dict:
    """States of ``random``, numpy and torch (CPU and, where available, every CUDA device)."""
    state = dict(python=random.getstate(), numpy=np.random.get_state(), torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`get_rng_state` returned."""
    random.setstate(_python_state(state['python']))
    np.random.set_state(_numpy_state(state['numpy']))
    torch.set_rng_state(torch.as_tensor(state['torch'], dtype=torch.uint8))
    if state.get('cuda') is not None and torch.cuda.is_available():
        cuda = [torch.as_tensor(s, dtype=torch.uint8) for s in state['cuda']]
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)


def _python_state(s):
    # (version, tuple of 625 ints, gauss) in whatever sequence type the checkpoint round trip left
    return (int(s[0]), tuple(int(v) for v in s[1]), s[2])


def _numpy_state(s):
    return (str(s[0]), np.asarray(s[1], dtype=np.uint32), int(s[2]), int(s[3]), float(s[4]))


def _to_checkpoint(state: dict) -> dict:
    """Plain containers (lists, ints, tensors) that ``torch.load(weights_only=True)`` accepts."""
    py = state['python']
    npy = state['numpy']
    out = dict(python=[py[0], list(py[1]), py[2]],
               numpy=[npy[0], torch.from_numpy(np.asarray(npy[1], dtype=np.int64)), int(npy[2]), int(npy[3]),
                      float(npy[4])],
               torch=state['torch'].clone())
    if 'cuda' in state:
        out['cuda'] = [s.clone() for s in state['cuda']]
    return out


def _from_checkpoint(state: dict) -> dict:
    out = dict(state)
    npy = list(state['numpy'])
    npy[1] = np.asarray(npy[1].numpy() if torch.is_tensor(npy[1]) else npy[1], dtype=np.uint32)
    out['numpy'] = npy
    return out


def _train_sampler(loader):
    sampler = getattr(loader, 'sampler', None)
    if sampler is not None and hasattr(sampler, 'seed'):
        return sampler
    batch_sampler = getattr(loader, 'batch_sampler', None)
    sampler = getattr(batch_sampler, 'sampler', None)
    return sampler if sampler is not None and hasattr(sampler, 'seed') else None


class _RestoreAfterReplay:
    """Wraps an iteration loop's data iterator: after ``skip`` batches (mmengine's replay of the batches already
    trained) it restores the generator states, before the next batch is fetched."""

    def __init__(self, iterator, skip: int, state: dict):
        self._iterator = iterator
        self._skip = skip
        self._state = state
        self._count = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self._count == self._skip and self._state is not None:
            set_rng_state(self._state)
            self._state = None
        self._count += 1
        return next(self._iterator)

    def __getattr__(self, name):  # _dataloader, _epoch, ... of mmengine's _InfiniteDataloaderIterator
        return getattr(self._iterator, name)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the generator states (every rank) and the dataloader seeds in checkpoints; restore them on resume.

    Registered in mmengine's root registry, so every scope (mmseg, mmdet) finds it. See the module docstring for
    what is saved and when it is restored.

    Args:
        neutral_val: Save and restore the generators around validation during training (default ``True``).
    """

    priority = 'LOW'  # after_train_iter before the CheckpointHook (VERY_LOW) saves

    def __init__(self, neutral_val: bool = True) -> None:
        self.neutral_val = neutral_val
        self._pending: Optional[dict] = None
        self._gathered = None
        self._val_state = None

    # ---------------------------------------------------------------------------------------------- saving
    def _checkpoint_hook(self, runner) -> Optional[CheckpointHook]:
        return next((h for h in runner.hooks if isinstance(h, CheckpointHook)), None)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        # checkpoints are written by rank 0 only: the other ranks' states are gathered when a checkpoint is due
        if get_world_size() <= 1:
            return
        hook = self._checkpoint_hook(runner)
        if hook is None or hook.by_epoch:
            return
        due = hook.every_n_train_iters(runner, hook.interval, hook.save_begin) or (
            hook.save_last and hook.is_last_train_iter(runner))
        if due:
            self._gathered = (runner.iter + 1, all_gather_object(_to_checkpoint(get_rng_state())))

    def after_train_epoch(self, runner) -> None:
        if get_world_size() <= 1:
            return
        hook = self._checkpoint_hook(runner)
        if hook is None or not hook.by_epoch:
            return
        if hook.every_n_epochs(runner, hook.interval, hook.save_begin) or (
                hook.save_last and hook.is_last_train_epoch(runner)):
            self._gathered = (runner.iter, all_gather_object(_to_checkpoint(get_rng_state())))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        ranks = [_to_checkpoint(get_rng_state())]
        if self._gathered is not None and self._gathered[0] == checkpoint.get('meta', {}).get('iter'):
            ranks = self._gathered[1]
        entry = dict(ranks=ranks)
        loop = runner._train_loop
        loader = None if loop is None or isinstance(loop, dict) else getattr(loop, 'dataloader', None)
        sampler = _train_sampler(loader) if loader is not None else None
        if sampler is not None:
            entry['sampler'] = dict(type=type(sampler).__name__, seed=int(sampler.seed),
                                    epoch=int(getattr(sampler, 'epoch', 0)))
        init_fn = getattr(loader, 'worker_init_fn', None)
        if isinstance(init_fn, partial) and 'seed' in init_fn.keywords:
            entry['worker_seed'] = init_fn.keywords['seed']
        checkpoint[KEY] = entry

    # --------------------------------------------------------------------------------------------- loading
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):
            return  # load_from (fine-tuning, testing) keeps this run's own seeds
        entry = checkpoint.get(KEY)
        if entry is None:
            if checkpoint.get('meta', {}).get('iter', 0):
                print_log('the checkpoint holds no random-generator state: the resumed run will not repeat the '
                          'interrupted one exactly', logger='current', level=30)
            return
        ranks = entry['ranks']
        rank, world = get_rank(), get_world_size()
        if len(ranks) != world:
            print_log(f'the checkpoint holds the random-generator states of {len(ranks)} rank(s), this run has '
                      f'{world}: every rank starts from rank 0\'s state', logger='current', level=30)
        self._pending = _from_checkpoint(ranks[rank if len(ranks) == world else 0])
        self._restore_seeds(runner, entry)

    def _restore_seeds(self, runner, entry: dict) -> None:
        loop = runner._train_loop
        loader = getattr(loop, 'dataloader', None) if loop is not None and not isinstance(loop, dict) else None
        if loader is None:
            return
        changed = False
        sampler = _train_sampler(loader)
        saved = entry.get('sampler')
        if sampler is not None and saved is not None and int(sampler.seed) != saved['seed']:
            sampler.seed = saved['seed']
            changed = True
        init_fn = getattr(loader, 'worker_init_fn', None)
        if (isinstance(init_fn, partial) and entry.get('worker_seed') is not None
                and init_fn.keywords.get('seed') != entry['worker_seed']):
            loader.worker_init_fn = partial(init_fn.func, *init_fn.args,
                                            **dict(init_fn.keywords, seed=entry['worker_seed']))
            changed = True
        if changed and hasattr(loop, 'dataloader_iterator'):
            # the iterator was made (and its workers started) with the seeds of this run's config
            old = getattr(loop.dataloader_iterator, '_iterator', None)
            shutdown = getattr(old, '_shutdown_workers', None)
            if shutdown is not None:
                shutdown()
            loop.dataloader_iterator = type(loop.dataloader_iterator)(loader)
            print_log(f'dataloader seeds restored from the checkpoint (sampler {saved}, worker seed '
                      f'{entry.get("worker_seed")})', logger='current')

    def before_train(self, runner) -> None:
        if self._pending is None:
            return
        loop = runner.train_loop
        if hasattr(loop, 'dataloader_iterator'):
            # IterBasedTrainLoop replays `iter` batches after this hook: restore right after that replay
            loop.dataloader_iterator = _RestoreAfterReplay(loop.dataloader_iterator, loop.iter, self._pending)
        else:
            set_rng_state(self._pending)
        self._pending = None

    # ------------------------------------------------------------------------------------------ validation
    def before_val(self, runner) -> None:
        if self.neutral_val:
            self._val_state = get_rng_state()

    def after_val(self, runner) -> None:
        if self._val_state is not None:
            set_rng_state(self._val_state)
            self._val_state = None
