from .bestie import BESTIE, BestieHead
from .dual_decoder import BestieDualDecoderHead, PanopticASPP, PanopticDecoder
from .losses import (BestieDeepLabCELoss, BestieWeightedL1Loss, BestieWeightedMSELoss, deeplab_ce_loss,
                     weighted_l1_loss, weighted_mse_loss)
from .pam import BestiePAMClassifier, BestieVGG16D1, peak_attention
from .postprocess import get_instances, to_pred_instances
from .refine import (cluster_peaks, find_instance_center, get_instance_segmentation, group_pixels,
                     refine_label_generation, refine_label_generation_with_point)

__all__ = [
    'BESTIE', 'BestieHead', 'BestieDualDecoderHead', 'PanopticASPP', 'PanopticDecoder', 'BestieDeepLabCELoss',
    'BestieWeightedL1Loss', 'BestieWeightedMSELoss', 'deeplab_ce_loss',
    'weighted_l1_loss', 'weighted_mse_loss', 'BestiePAMClassifier', 'BestieVGG16D1', 'peak_attention',
    'get_instances', 'to_pred_instances', 'cluster_peaks', 'find_instance_center',
    'get_instance_segmentation', 'group_pixels', 'refine_label_generation', 'refine_label_generation_with_point'
]
