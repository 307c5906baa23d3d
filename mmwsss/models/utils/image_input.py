"""Turn a raw image into a model input outside a data pipeline (offline stages, visualisation)."""
import numpy as np
import torch

__all__ = ['image_to_input']


def image_to_input(model, image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 **RGB** image -> (1, 3, H, W) tensor normalised like the model's data preprocessor."""
    from mmwsss.utils import normalize_like_preprocessor
    device = next(model.parameters()).device
    img = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    x = normalize_like_preprocessor(model.data_preprocessor, img, order='rgb', device=device)
    return x[None]
