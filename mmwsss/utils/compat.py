"""Compatibility patches for the pinned 2026 stack (see docs/install.md).

mmengine 0.10.7 predates three changes of its dependencies, each handled here instead of through
environment variables that users would have to remember:

* torch >= 2.6 loads checkpoints with ``weights_only=True``; mmengine's runner checkpoints hold
  numpy scalars and ``HistoryBuffer`` objects, so ``--resume`` and ``load_from`` fail. We allow-list
  exactly those globals (``torch.serialization.add_safe_globals``) rather than disabling the check.
* A CPU-only torch cannot run mmengine's ``torch.cuda.set_device`` in ``init_dist`` or wrap a CPU
  model with ``device_ids``; :func:`cpu_dist_cfg` and the patched ``_init_dist_pytorch`` make
  ``tools/dist_train.sh CONFIG 2`` train with the gloo backend on a CPU machine.
* Checkpoints are written atomically (temp file + ``os.replace``) so a run killed while saving
  never leaves a truncated ``iter_N.pth`` that ``--resume`` would then pick up.
* ``--resume`` finds its checkpoint even when a kill emptied mmengine's ``last_checkpoint`` marker (it is
  rewritten in place after each save): the newest ``iter_N.pth`` / ``epoch_N.pth`` is taken then.
* A gloo process group left to interpreter shutdown sometimes aborts a rank after a finished run
  ("terminate called without an active exception", SIGABRT), and torchrun then reports the run as
  failed; the tools call :func:`close_dist` at the end.

Missing pretrained weights (no file, no network) become a warning instead of a crash.
"""
import os
import os.path as osp
import warnings

__all__ = ['apply_patches', 'safe_checkpoint_globals', 'history_buffer_getattr', 'cpu_dist_cfg', 'close_dist']

_APPLIED = False


def safe_checkpoint_globals() -> list:
    """Globals that mmengine runner checkpoints pickle besides tensors."""
    import numpy as np
    from mmengine.logging import HistoryBuffer
    globs = [HistoryBuffer, np.dtype, np.ndarray]
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    globs += [multiarray.scalar, multiarray._reconstruct]
    # every concrete dtype class (np.dtypes.Float64DType, ...) a scalar's dtype may pickle as
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        globs += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return globs


def history_buffer_getattr(obj, name: str):
    """The one ``getattr`` that mmengine checkpoints need, and nothing more.

    ``HistoryBuffer.__getstate__`` stores its statistics methods, which pickle (protocol 2) as
    ``getattr(HistoryBuffer, 'mean')``. Allow-listing the builtin ``getattr`` would let a checkpoint
    reach any attribute of any allowed object; this stand-in only returns public methods of
    ``HistoryBuffer``.
    """
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and not name.startswith('_') and callable(
            HistoryBuffer.__dict__.get(name)):
        return getattr(HistoryBuffer, name)
    raise RuntimeError(f'checkpoint asks for getattr({obj!r}, {name!r}), which mmwsss does not allow '
                       'with weights_only loading')


def _patch_weights_only() -> None:
    import torch
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(
            safe_checkpoint_globals() + [(history_buffer_getattr, 'builtins.getattr'),
                                         (history_buffer_getattr, '__builtin__.getattr')])


def _patch_atomic_checkpoint() -> None:
    import torch
    from mmengine.runner import checkpoint as ckpt_mod
    from mmengine.runner import runner as runner_mod

    original = ckpt_mod.save_checkpoint

    def atomic_save_checkpoint(checkpoint, filename, file_client_args=None, backend_args=None):
        local = isinstance(filename, (str, os.PathLike)) and '://' not in str(filename)
        if not local or file_client_args or backend_args:
            return original(checkpoint, filename, file_client_args=file_client_args,
                            backend_args=backend_args)
        from .io import atomic_write
        with atomic_write(filename) as f:
            torch.save(checkpoint, f)

    atomic_save_checkpoint.__wrapped__ = original
    ckpt_mod.save_checkpoint = atomic_save_checkpoint
    runner_mod.save_checkpoint = atomic_save_checkpoint


def _patch_cpu_init_dist() -> None:
    import torch
    from mmengine.dist import utils as dist_utils
    if torch.cuda.is_available() or getattr(dist_utils, '_mmwsss_patched', False):
        return
    import torch.distributed as torch_dist

    def _init_dist_pytorch_cpu(backend, init_backend='torch', **kwargs):
        # mmengine calls torch.cuda.set_device(local_rank) unconditionally: impossible without CUDA
        if backend == 'nccl':
            backend = 'gloo'
        torch_dist.init_process_group(backend=backend, **kwargs)

    dist_utils._init_dist_pytorch = _init_dist_pytorch_cpu
    dist_utils._mmwsss_patched = True


def _patch_pretrained_init() -> None:
    from mmengine.model.weight_init import PretrainedInit
    if getattr(PretrainedInit, '_mmwsss_patched', False):
        return
    original_call = PretrainedInit.__call__

    def tolerant_call(self, module):
        try:
            return original_call(self, module)
        except (OSError, ImportError) as err:  # FileNotFoundError, URLError (no network), permission;
            # ImportError: torchvision:// needs torchvision (not a dependency of mmwsss) to resolve the URL
            warnings.warn(
                f'Pretrained weights "{self.checkpoint}" could not be loaded ({type(err).__name__}: '
                f'{err}); {type(module).__name__} keeps its random initialisation. See README.md '
                '"Real data and ImageNet weights" for where to get the file.', stacklevel=2)
            return None

    PretrainedInit.__call__ = tolerant_call
    PretrainedInit._mmwsss_patched = True


def cpu_dist_cfg(cfg) -> None:
    """Adjust a config in place so that it runs on a machine without CUDA.

    gloo instead of nccl, DDP without ``device_ids``, plain BN instead of SyncBN (SyncBN's
    kernels need CUDA). No-op when CUDA is available.
    """
    import torch
    if torch.cuda.is_available():
        return
    env = cfg.setdefault('env_cfg', {})
    env.setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
    _replace_syncbn(cfg.get('model'))


def close_dist() -> None:
    """Wait for every rank, then destroy the default process group (no-op when none is initialised).

    Joins the backend's threads before the interpreter exits: left to shutdown, gloo's can abort the
    process after a run that finished. Destroying the group while the runner's DDP model still holds it
    is not enough (4 of 30 two-process runs still aborted); drop the runner first (``del runner``), so
    that nothing holds the group any more (0 of 40).
    """
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        import gc
        gc.collect()  # frees a dropped DDP wrapper, whose reducer keeps the group (and its threads) alive
        dist.barrier()
        dist.destroy_process_group()


def _replace_syncbn(node) -> None:
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            node['type'] = 'BN'
        for value in node.values():
            _replace_syncbn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _replace_syncbn(value)


def _patch_find_latest_checkpoint() -> None:
    from mmengine.runner import runner as runner_mod
    if getattr(runner_mod.find_latest_checkpoint, '_mmwsss_patched', False):
        return

    def find_latest_checkpoint(path):
        from .checkpoint import latest_checkpoint
        return latest_checkpoint(path)

    find_latest_checkpoint._mmwsss_patched = True
    runner_mod.find_latest_checkpoint = find_latest_checkpoint


def apply_patches() -> None:
    """Apply all patches once; safe to call repeatedly."""
    global _APPLIED
    if _APPLIED:
        return
    _patch_weights_only()
    _patch_atomic_checkpoint()
    _patch_cpu_init_dist()
    _patch_pretrained_init()
    _patch_find_latest_checkpoint()
    _APPLIED = True
