# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .sec_cues import generate_sec_cues
__all__ += ['generate_sec_cues']
