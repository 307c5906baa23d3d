# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .lam import BLPPatchEmbed, LocalAggregationModule, lam_attention, lam_blocked, lam_dense, lam_linear
__all__ += ['BLPPatchEmbed', 'LocalAggregationModule', 'lam_attention', 'lam_blocked', 'lam_dense', 'lam_linear']
