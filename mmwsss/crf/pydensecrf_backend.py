"""pydensecrf (pydensecrf2 1.1) backend: the reference implementation, image by image or over processes.

pydensecrf's Cython wrapper holds the GIL during ``inference`` (``densecrf.pyx`` has no ``nogil``), so a
thread pool does not help; ``workers > 1`` uses a persistent process pool instead.
"""
import atexit
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Optional, Tuple

import numpy as np

__all__ = ['pydensecrf_available', 'pydensecrf_inference', 'pydensecrf_batch', 'shutdown_pool']

_POOL: Optional[ProcessPoolExecutor] = None
_POOL_WORKERS = 0


def pydensecrf_available() -> bool:
    """Whether ``import pydensecrf.densecrf`` works (the ``mmwsss[crf]`` extra, ``pip install pydensecrf2``)."""
    try:
        import pydensecrf.densecrf  # noqa: F401
    except ImportError:
        return False
    return True


def _import_dcrf():
    try:
        import pydensecrf.densecrf as dcrf
    except ImportError as e:
        raise ImportError("backend='pydensecrf' needs the pydensecrf2 package: pip install pydensecrf2==1.1 "
                          "(or use backend='torch')") from e
    return dcrf


def pydensecrf_inference(unary: np.ndarray, image: np.ndarray, kernel: Tuple[float, float, float, float, float],
                         iterations: int) -> np.ndarray:
    """One image through pydensecrf (Potts, DIAG_KERNEL, NORMALIZE_SYMMETRIC).

    Args:
        unary: (C, H, W) float unary energies.
        image: (H, W, 3) uint8 RGB.
        kernel: (gaussian_weight, gaussian_sxy, bilateral_weight, bilateral_sxy, bilateral_srgb), sxy
            already divided by the scale factor.
        iterations: mean-field iterations.

    Returns:
        (C, H, W) float32 marginals.
    """
    dcrf = _import_dcrf()
    C, H, W = unary.shape
    gw, gsxy, bw, bsxy, bsrgb = kernel
    d = dcrf.DenseCRF2D(W, H, C)
    d.setUnaryEnergy(np.ascontiguousarray(unary.reshape(C, H * W), dtype=np.float32))
    if gw != 0:
        d.addPairwiseGaussian(sxy=gsxy, compat=gw)
    if bw != 0:
        d.addPairwiseBilateral(sxy=bsxy, srgb=bsrgb, rgbim=np.ascontiguousarray(image, dtype=np.uint8), compat=bw)
    return np.asarray(d.inference(int(iterations)), dtype=np.float32).reshape(C, H, W)


def _job(args):
    return pydensecrf_inference(*args)


def _get_pool(workers: int) -> ProcessPoolExecutor:
    global _POOL, _POOL_WORKERS
    if _POOL is None or _POOL_WORKERS != workers:
        shutdown_pool()
        # fork: workers start in milliseconds and only run numpy + pydensecrf (no torch, no OpenMP);
        # spawn elsewhere (macOS/Windows).
        method = 'fork' if 'fork' in mp.get_all_start_methods() else 'spawn'
        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method))
        _POOL_WORKERS = workers
    return _POOL


def shutdown_pool() -> None:
    """Stop the persistent worker pool (registered with ``atexit``)."""
    global _POOL, _POOL_WORKERS
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)
    _POOL, _POOL_WORKERS = None, 0


atexit.register(shutdown_pool)


def pydensecrf_batch(unary: np.ndarray, images: np.ndarray, kernel: Tuple[float, float, float, float, float],
                     iterations: int, workers: int = 1) -> np.ndarray:
    """Run :func:`pydensecrf_inference` over a batch.

    Args:
        unary: (N, C, H, W) float unary energies.
        images: (N, H, W, 3) uint8 RGB.
        kernel: see :func:`pydensecrf_inference`.
        iterations: mean-field iterations.
        workers: processes to use; 1 runs in this process, 0 or negative means ``os.cpu_count()``.

    Returns:
        (N, C, H, W) float32 marginals.
    """
    _import_dcrf()  # fail early and clearly, before any worker starts
    n = unary.shape[0]
    if workers <= 0:
        workers = os.cpu_count() or 1
    if workers <= 1 or n <= 1:
        out = [pydensecrf_inference(unary[i], images[i], kernel, iterations) for i in range(n)]
    else:
        pool = _get_pool(workers)
        out = list(pool.map(_job, [(unary[i], images[i], kernel, iterations) for i in range(n)]))
    return np.stack(out, 0)
