"""Optimizer wrapper for bfloat16 mixed precision on CPU.

mmengine's ``AmpOptimWrapper`` refuses to run without a GPU. :class:`CPUAutocastOptimWrapper` runs the forward pass
under ``torch.autocast('cpu', dtype=torch.bfloat16)`` (matrix products and convolutions in bfloat16, reductions
and losses in float32 as autocast decides; parameters, gradients and the update stay float32, so no loss scaling
is needed). On CPUs with bfloat16 instructions (AVX512-BF16, AMX) the small embedded models train faster; measure
with ``benchmarks/bench_main_job_levers.py`` before switching a schedule to it: bfloat16 rounding can change the
converged result.

On a CPU without oneDNN bfloat16 support (no AVX-512), where bfloat16 convolutions fall back to slow reference
kernels, the wrapper logs a warning and trains in float32 (``cpu_fallback=True``, the default).

Use: ``optim_wrapper = dict(type='CPUAutocastOptimWrapper', optimizer=...)`` or
``tools/train.py CONFIG --cfg-options optim_wrapper.type=CPUAutocastOptimWrapper``.
"""
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

__all__ = ['CPUAutocastOptimWrapper']


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """:class:`mmengine.optim.OptimWrapper` whose forward context is CPU autocast.

    Args:
        dtype: the autocast dtype, ``'bfloat16'`` (default) or ``'float16'``.
        cpu_fallback: train in float32 (with a warning) where oneDNN has no bfloat16 support on this CPU.
        **kwargs: as :class:`~mmengine.optim.OptimWrapper`.
    """

    def __init__(self, dtype: str = 'bfloat16', cpu_fallback: bool = True, **kwargs):
        super().__init__(**kwargs)
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(f"CPUAutocastOptimWrapper: dtype must be 'bfloat16' or 'float16', got {dtype!r}")
        self.cast_dtype = getattr(torch, dtype)
        self.enabled = True
        if cpu_fallback and dtype == 'bfloat16' and not bf16_supported():
            self.enabled = False
            print_log('CPUAutocastOptimWrapper: this CPU has no oneDNN bfloat16 support (AVX-512); training in '
                      'float32', logger='current', level=30)

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(device_type='cpu', dtype=self.cast_dtype,
                                                          enabled=self.enabled):
            yield


def bf16_supported() -> bool:
    """Whether oneDNN runs bfloat16 convolutions natively on this CPU."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
