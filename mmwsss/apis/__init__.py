# Each module adds its own import line and extends __all__ (several authors edit this file).
__all__ = []
from .sec_cues import generate_sec_cues
__all__ += ['generate_sec_cues']
from .compare import compare_suite, load_suite, run_entry, run_suite, write_report
__all__ += ['load_suite', 'run_entry', 'run_suite', 'write_report', 'compare_suite']
from .visualize import draw_instances, draw_points, overlay_heatmap, overlay_label_map, read_points, tile
__all__ += ['overlay_label_map', 'overlay_heatmap', 'draw_points', 'draw_instances', 'read_points', 'tile']
from .coseg import CosegParams, cosegment_class, mask_quality, run_coseg
from .mask_estimation import estimate_mask, estimate_masks, estimate_probs
__all__ += ['CosegParams', 'cosegment_class', 'run_coseg', 'mask_quality', 'estimate_probs', 'estimate_mask',
            'estimate_masks']
from .ood_mining import score_images, select_hard
__all__ += ['score_images', 'select_hard']
