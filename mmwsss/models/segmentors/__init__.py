# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .tta import CRFPostProcessor, WSSSTTAModel
__all__ += ['WSSSTTAModel', 'CRFPostProcessor']
from .cam_classifier import CAMClassifier
from .wood_classifier import WOoDClassifier
from .irn import IRNet
__all__ += ['CAMClassifier', 'WOoDClassifier', 'IRNet']
from .blpseg import BLPSeg
__all__ += ['BLPSeg']
from .sec import SECSegmentor
__all__ += ['SECSegmentor']
from .wsscoseg import WSSCosegSegmentor
__all__ += ['WSSCosegSegmentor']
from .sec_saliency import CAMSaliency, SECSaliencyClassifier, gradient_saliency
__all__ += ['SECSaliencyClassifier', 'CAMSaliency', 'gradient_saliency']
