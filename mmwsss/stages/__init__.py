"""Offline pseudo-label stages: CAMs, IRN labels and random walk, SEC cues, co-segmentation, mask estimation,
OoD mining. Each stage reads a trained model and a dataset folder and writes one file per image."""
# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .cam import compute_cam, eval_cams, eval_label_dir, make_cams
__all__ += ['compute_cam', 'make_cams', 'eval_cams', 'eval_label_dir']
from .irn import ir_label_stats, make_ir_labels, make_sem_seg_labels, random_walk
__all__ += ['make_ir_labels', 'make_sem_seg_labels', 'random_walk', 'ir_label_stats']
from .sec_cues import generate_sec_cues
__all__ += ['generate_sec_cues']
from .coseg import CosegParams, cosegment_class, mask_quality, run_coseg
__all__ += ['CosegParams', 'cosegment_class', 'run_coseg', 'mask_quality']
from .mask_estimation import estimate_mask, estimate_masks, estimate_probs
__all__ += ['estimate_probs', 'estimate_mask', 'estimate_masks']
from .ood_mining import score_images, select_hard
__all__ += ['score_images', 'select_hard']
