# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .lam import BLPPatchEmbed, LocalAggregationModule, lam_attention, lam_dense
__all__ += ['BLPPatchEmbed', 'LocalAggregationModule', 'lam_attention', 'lam_dense']
