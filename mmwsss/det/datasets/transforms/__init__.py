from .bestie_targets import (gaussian_patch, generate_oracle_targets, generate_pseudo_targets, points_by_class,
                             render_gaussian)
from .bestie_transforms import (BestiePhotoMetricDistortion, BestieRandomCrop, BestieRandomFlip, BestieRandomScale,
                                BestieResize, GenerateBestieTargets, LoadBestieAnnotations, PackBestieInputs)

__all__ = [
    'BestiePhotoMetricDistortion', 'BestieRandomCrop', 'BestieRandomFlip', 'BestieRandomScale', 'BestieResize',
    'GenerateBestieTargets', 'LoadBestieAnnotations', 'PackBestieInputs', 'gaussian_patch', 'generate_oracle_targets',
    'generate_pseudo_targets', 'points_by_class', 'render_gaussian'
]
