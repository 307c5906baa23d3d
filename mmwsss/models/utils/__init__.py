# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .ckpt_convert import encoding_resnet_to_mmseg
__all__ += ['encoding_resnet_to_mmseg']
