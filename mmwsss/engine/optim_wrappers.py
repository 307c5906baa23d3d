"""Optimizer wrapper for bfloat16 mixed precision on CPU.

mmengine's ``AmpOptimWrapper`` refuses to run without a GPU. :class:`CPUAutocastOptimWrapper` runs the forward pass
under ``torch.autocast('cpu', dtype=torch.bfloat16)`` (matrix products and convolutions in bfloat16, reductions
and losses in float32 as autocast decides; parameters, gradients and the update stay float32, so no loss scaling
is needed). On CPUs with bfloat16 instructions (AVX512-BF16, AMX) the small embedded models train faster; measure
with ``benchmarks/bench_main_job_levers.py`` before switching a schedule to it: bfloat16 rounding can change the
converged result, and oneDNN's AMX and AVX-512 BF16 kernels round differently (benchmarks/README.md, run-to-run
spread).

On a CPU without oneDNN bfloat16 support (no AVX-512), where bfloat16 convolutions fall back to slow reference
kernels, the wrapper logs a warning and trains in float32 (``cpu_fallback=True``, the default).

``fp32_modules`` names submodules (as ``model.named_modules()`` gives them, without a DDP wrapper's ``module.``)
that run in float32 inside the autocast region, their floating-point inputs cast to float32: layers whose outputs
need more than bfloat16's 8-bit mantissa, such as a regression head predicting pixel offsets (mmcv 1.x's
``force_fp32`` kept heads' loss inputs in float32 for the same reason). Their outputs are float32.

Use: ``optim_wrapper = dict(type='CPUAutocastOptimWrapper', optimizer=...)`` or
``tools/train.py CONFIG --cfg-options optim_wrapper.type=CPUAutocastOptimWrapper``.
"""
from contextlib import contextmanager
from typing import Optional, Sequence

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

from mmwsss.utils.checkpoint import unwrap_model

__all__ = ['CPUAutocastOptimWrapper']


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """:class:`mmengine.optim.OptimWrapper` whose forward context is CPU autocast.

    Args:
        dtype: the autocast dtype, ``'bfloat16'`` (default) or ``'float16'``.
        cpu_fallback: train in float32 (with a warning) where oneDNN has no bfloat16 support on this CPU.
        fp32_modules: names of submodules that run in float32 under autocast (see the module docstring).
        **kwargs: as :class:`~mmengine.optim.OptimWrapper`.
    """

    def __init__(self, dtype: str = 'bfloat16', cpu_fallback: bool = True, fp32_modules: Sequence[str] = (),
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(fp32_modules, str):
            raise TypeError(f'CPUAutocastOptimWrapper: fp32_modules must be a list of module names, got the string '
                            f'{fp32_modules!r}')
        self.fp32_modules = tuple(fp32_modules)
        self._fp32_targets = None  # (model, its fp32_modules) once resolved: steps do not walk the model again
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(f"CPUAutocastOptimWrapper: dtype must be 'bfloat16' or 'float16', got {dtype!r}")
        self.cast_dtype = getattr(torch, dtype)
        self.enabled = True
        if falls_back_to_float32(dtype, cpu_fallback):
            self.enabled = False
            print_log('CPUAutocastOptimWrapper: this CPU has no oneDNN bfloat16 support (AVX-512); training in '
                      'float32', logger='current', level=30)

    @contextmanager
    def optim_context(self, model):
        # the float32 hooks live only as long as this context: the same model outside it, or under another
        # wrapper, runs as it is
        handles = self._hook_fp32_modules(unwrap_model(model)) if self.fp32_modules and self.enabled else []
        try:
            with super().optim_context(model), torch.autocast(device_type='cpu', dtype=self.cast_dtype,
                                                              enabled=self.enabled):
                yield
        finally:
            for h in handles:
                h.remove()

    def _hook_fp32_modules(self, model) -> list:
        if self._fp32_targets is None or self._fp32_targets[0] is not model:
            modules = dict(model.named_modules())
            missing = [n for n in self.fp32_modules if n not in modules]
            if missing:
                raise KeyError(f'CPUAutocastOptimWrapper: fp32_modules {missing} are not submodules of '
                               f'{type(model).__name__}')
            self._fp32_targets = (model, [modules[n] for n in self.fp32_modules])
        handles = []
        for mod in self._fp32_targets[1]:
            handles.append(mod.register_forward_pre_hook(_enter_fp32, with_kwargs=True))
            handles.append(mod.register_forward_hook(_exit_fp32, always_call=True))
        return handles


def _to_fp32(x):
    if isinstance(x, torch.Tensor):
        return x.float() if x.is_floating_point() else x
    if isinstance(x, (list, tuple)):
        return type(x)(_to_fp32(v) for v in x)
    if isinstance(x, dict):
        return {k: _to_fp32(v) for k, v in x.items()}
    return x


def _enter_fp32(module, args, kwargs):
    ctx = torch.autocast('cpu', enabled=False)
    ctx.__enter__()
    module.__dict__.setdefault('_mmwsss_fp32_ctx', []).append(ctx)
    return _to_fp32(args), _to_fp32(kwargs)


def _exit_fp32(module, args, output):
    module.__dict__['_mmwsss_fp32_ctx'].pop().__exit__(None, None, None)


def falls_back_to_float32(dtype: str = 'bfloat16', cpu_fallback: bool = True,
                          native_bf16: Optional[bool] = None) -> bool:
    """Whether :class:`CPUAutocastOptimWrapper` with these arguments trains in float32 instead of autocast: bfloat16
    asked, ``cpu_fallback`` on and no oneDNN bfloat16 kernels (``native_bf16``; ``None``: this CPU's
    :func:`bf16_supported`)."""
    if native_bf16 is None:
        native_bf16 = bf16_supported()
    return cpu_fallback and dtype == 'bfloat16' and not native_bf16


def bf16_supported() -> bool:
    """Whether oneDNN runs bfloat16 convolutions natively on this CPU."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
