# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .cam_metric import CAMMetric
__all__ += ['CAMMetric']
