# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .blp_head import BLPHead, mlp_head
__all__ += ['BLPHead', 'mlp_head']
from .sec_head import SECHead
__all__ += ['SECHead']
from .wsscoseg_head import WSSCosegHead
__all__ += ['WSSCosegHead']
from .deeplabv2_head import DeepLabV2Head
__all__ += ['DeepLabV2Head']
