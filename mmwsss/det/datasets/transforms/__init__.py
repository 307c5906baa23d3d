from .bestie_transforms import (BestiePhotoMetricDistortion, BestieRandomCrop, BestieRandomFlip, BestieRandomScale,
                                BestieResize, GenerateBestieTargets, LoadBestieAnnotations, PackBestieInputs)

__all__ = [
    'BestiePhotoMetricDistortion', 'BestieRandomCrop', 'BestieRandomFlip', 'BestieRandomScale', 'BestieResize',
    'GenerateBestieTargets', 'LoadBestieAnnotations', 'PackBestieInputs'
]
