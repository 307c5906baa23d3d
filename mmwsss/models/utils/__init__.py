# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .ckpt_convert import encoding_resnet_to_mmseg
__all__ += ['encoding_resnet_to_mmseg']
from .image_input import image_to_input
from .irn_affinity import affinity_labels, edge_to_affinity, path_offsets, shift_map
__all__ += ['image_to_input', 'path_offsets', 'shift_map', 'edge_to_affinity', 'affinity_labels']
from .depthwise_conv import DepthwiseConv2d, depthwise_conv2d
__all__ += ['DepthwiseConv2d', 'depthwise_conv2d']
