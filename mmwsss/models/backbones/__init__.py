# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .vgg_largefov import VGG16LargeFOV
__all__ += ['VGG16LargeFOV']
