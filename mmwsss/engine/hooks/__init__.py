# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .prototype_hook import WOoDPrototypeHook
__all__ += ['WOoDPrototypeHook']
from .rng_state import RNGStateHook
__all__ += ['RNGStateHook']
from .pseudo_label_switch_hook import PseudoLabelSwitchHook
__all__ += ['PseudoLabelSwitchHook']
from .iter_info_hook import SetIterInfoHook
__all__ += ['SetIterInfoHook']
from .channels_last import ChannelsLastHook
__all__ += ['ChannelsLastHook']
