# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .wood_loss import (WOoDMetricLoss, WOoDOoDLoss, harden_ood_inputs, wood_distances, wood_metric_loss,
                        wood_ood_loss)
__all__ += [
    'WOoDMetricLoss', 'WOoDOoDLoss', 'harden_ood_inputs', 'wood_distances', 'wood_metric_loss', 'wood_ood_loss'
]
from .blp_loss import (AnnotationProbabilityLoss, BLPLoss, annotation_ce_loss, blp_loss, blp_pseudo_labels,
                       scribble_img_labels)
__all__ += ['AnnotationProbabilityLoss', 'BLPLoss', 'annotation_ce_loss', 'blp_loss', 'blp_pseudo_labels',
            'scribble_img_labels']
from .sec_losses import (SECConstrainLoss, SECExpandLoss, SECSeedLoss, crf_target, gwrp, sec_constrain_loss,
                         sec_expand_loss, sec_seed_loss, sec_softmax)
__all__ += ['SECSeedLoss', 'SECExpandLoss', 'SECConstrainLoss', 'sec_softmax', 'gwrp', 'sec_seed_loss',
            'sec_expand_loss', 'sec_constrain_loss', 'crf_target']
from .balanced_ce import ClassBalancedCELoss, FgBgBalancedCELoss
__all__ += ['ClassBalancedCELoss', 'FgBgBalancedCELoss']
