# Each module adds its own import line and extends __all__ (several authors edit this file).
from .loading import LoadWSSSAnnotations, LoadWSSSImage, PackWSSSInputs, read_label_map

__all__ = ['LoadWSSSImage', 'LoadWSSSAnnotations', 'PackWSSSInputs', 'read_label_map']
from .sec_cues import LoadSECCues
__all__ += ['LoadSECCues']
from .resize import PILRandomRescale, ZoomResize, pil_rescale, zoom_linear
__all__ += ['ZoomResize', 'zoom_linear', 'PILRandomRescale', 'pil_rescale']
from .crop import WSSSRandomCrop
__all__ += ['WSSSRandomCrop']
