"""Dense CRF engine (Krähenbühl & Koltun): one API, a pydensecrf backend and a batched PyTorch backend.

Plain functions, no registry. Importing this package needs only torch and numpy; pydensecrf is imported
on first use of ``backend='pydensecrf'`` (or ``'auto'`` on CPU when it is installed).
"""
from .api import (CRF_PRESETS, DenseCRFParams, crf_postprocess, crf_refine_labels, dense_crf, get_crf_params,
                  resolve_backend, unary_from_labels, unary_from_probs)

__all__ = [
    'DenseCRFParams', 'CRF_PRESETS', 'get_crf_params', 'dense_crf', 'crf_postprocess', 'crf_refine_labels',
    'unary_from_probs', 'unary_from_labels', 'resolve_backend'
]
