"""Instance-segmentation side of mmwsss (BESTIE), registered into mmdet's registries.

``custom_imports=dict(imports=['mmwsss.det'])`` imports every subpackage below so all components
register. Only this package imports mmdet.
"""
import mmdet.models  # noqa: F401  (mmdet's own modules first: BaseDetector, CocoMetric, transforms)
import mmseg.models  # noqa: F401  (backbones referenced with _scope_='mmseg')

from ..engine.hooks import iter_info_hook, rng_state  # noqa: F401,E402  (root-registry hooks)
from . import datasets, evaluation, models  # noqa: F401,E402  (registration)

__all__ = ['datasets', 'evaluation', 'models']
