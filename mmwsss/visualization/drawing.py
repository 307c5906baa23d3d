"""PNG overlays of what each method sees: label maps, scribbles, CAMs, cues, points, instances.

Drawing goes through mmengine's ``Visualizer`` (masks, points, texts) so the look matches mmseg/mmdet
visualisations; heat maps (CAMs) are blended with a colour map.
"""
from typing import Optional, Sequence, Tuple

import numpy as np

__all__ = ['overlay_label_map', 'overlay_heatmap', 'draw_points', 'draw_instances', 'tile']


def _palette(num: int = 256) -> np.ndarray:
    from ..datasets.voc_aug import voc_palette
    return np.asarray(voc_palette(), dtype=np.uint8).reshape(256, 3)[:num]


def _check(image: np.ndarray, shape: Tuple[int, int], what: str) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'image must be (H, W, 3) uint8 RGB, got {image.shape} {image.dtype}')
    if tuple(shape) != image.shape[:2]:
        raise ValueError(f'{what} has size {tuple(shape)} but the image has {image.shape[:2]}')


def overlay_label_map(image: np.ndarray, label: np.ndarray, alpha: float = 0.5,
                      ignore_index: int = 255, ignore_color=(255, 255, 255),
                      skip_background: bool = False) -> np.ndarray:
    """Blend a label map (VOC colours) over an image.

    Args:
        image: (H, W, 3) uint8 RGB.
        label: (H, W) integer map; ``ignore_index`` pixels are drawn in ``ignore_color`` (scribble
            maps use 255 = not annotated: pass ``ignore_color=None`` to leave them unpainted).
        alpha: Opacity of the label colours.
        skip_background: Leave class-0 pixels unpainted (for sparse maps such as cues or strokes).

    Returns:
        (H, W, 3) uint8 RGB.
    """
    _check(image, label.shape, 'label map')
    pal = _palette()
    colors = pal[np.clip(label, 0, 255)].astype(np.float32)
    paint = np.ones(label.shape, bool)
    if ignore_color is None:
        paint &= label != ignore_index
    else:
        colors[label == ignore_index] = ignore_color
    if skip_background:
        paint &= label != 0
    out = image.astype(np.float32)
    out[paint] = (1 - alpha) * out[paint] + alpha * colors[paint]
    return np.clip(out, 0, 255).astype(np.uint8)


def overlay_heatmap(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend a [0, 1] heat map (a CAM) over an image with the JET colour map."""
    import cv2
    _check(image, heat.shape, 'heat map')
    heat = np.nan_to_num(np.asarray(heat, np.float32))
    heat = np.clip(heat, 0, 1)
    colored = cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1]
    return np.clip((1 - alpha) * image + alpha * colored, 0, 255).astype(np.uint8)


def draw_points(image: np.ndarray, points: Sequence[Sequence[float]],
                class_names: Optional[Sequence[str]] = None, radius: int = 3) -> np.ndarray:
    """Draw ``x, y, cls, conf`` points (rows of :func:`mmwsss.datasets.points.read_points`; ``cls`` 0-based
    foreground class) coloured by class, with their confidence."""
    from mmengine.visualization import Visualizer
    vis = Visualizer(image=image.copy())
    pal = _palette()
    for x, y, cls, conf in points:
        x, y, cls, conf = int(x), int(y), int(cls), float(conf)
        color = tuple(int(c) for c in pal[cls + 1])
        vis.draw_circles(np.array([[x, y]]), np.array([radius]), edge_colors=[(255, 255, 255)],
                         face_colors=[color], alpha=1.0)
        text = f'{class_names[cls + 1] if class_names else cls}:{conf:.2f}'
        vis.draw_texts(text, np.array([x + radius + 1, y - radius]), font_sizes=7, colors=[color])
    return vis.get_image()


def draw_instances(image: np.ndarray, masks: np.ndarray, labels: Sequence[int],
                   scores: Optional[Sequence[float]] = None,
                   class_names: Optional[Sequence[str]] = None) -> np.ndarray:
    """Draw instance masks (one colour per instance) with class and score.

    Args:
        masks: (K, H, W) bool.
        labels: (K,) class ids (1-based, VOC convention: 0 is background).
    """
    from mmengine.visualization import Visualizer
    masks = np.asarray(masks, bool)
    if masks.ndim != 3:
        raise ValueError(f'masks must be (K, H, W), got {masks.shape}')
    _check(image, masks.shape[1:], 'instance masks')
    vis = Visualizer(image=image.copy())
    rng = np.random.default_rng(0)
    for k, mask in enumerate(masks):
        if not mask.any():
            continue
        color = tuple(int(c) for c in rng.integers(60, 255, 3))
        vis.draw_binary_masks(mask[None], colors=[color], alphas=0.55)
        ys, xs = np.nonzero(mask)
        name = class_names[labels[k]] if class_names else str(labels[k])
        text = name if scores is None else f'{name} {scores[k]:.2f}'
        vis.draw_texts(text, np.array([xs.min(), ys.min()]), font_sizes=7, colors=[(255, 255, 255)])
    return vis.get_image()


def tile(images: Sequence[np.ndarray], titles: Optional[Sequence[str]] = None, cols: int = 4) -> np.ndarray:
    """Arrange equally sized RGB images in a grid, each with an optional title strip."""
    import cv2
    if not images:
        raise ValueError('no images to tile')
    h, w = images[0].shape[:2]
    strip = 12 if titles else 0
    rows = (len(images) + cols - 1) // cols
    canvas = np.full((rows * (h + strip), min(cols, len(images)) * w, 3), 255, np.uint8)
    for i, img in enumerate(images):
        if img.shape[:2] != (h, w):
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_NEAREST)
        r, c = divmod(i, cols)
        y0 = r * (h + strip)
        canvas[y0 + strip:y0 + strip + h, c * w:(c + 1) * w] = img
        if titles:
            cv2.putText(canvas, titles[i][:max(1, w // 6)], (c * w + 2, y0 + 9), cv2.FONT_HERSHEY_SIMPLEX,
                        0.3, (0, 0, 0), 1, cv2.LINE_AA)
    return canvas
