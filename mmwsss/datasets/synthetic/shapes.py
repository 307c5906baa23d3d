"""Procedural textures, backgrounds, class objects and distractors of the synthetic set.

Everything is drawn with numpy + OpenCV on float32 RGB arrays in ``[0, 1]``. An object is a
:class:`Sprite`: a hard (crisp-edged) boolean mask and an RGB patch of the same size. Hard masks
keep the object edges crisp in the image, so a low-resolution network blurs them and a dense CRF
has something to recover (``docs/synthetic_dataset.md``, "Design").

Every random choice is taken from the ``numpy.random.Generator`` passed in, so a scene depends
only on that generator's state.
"""
import colorsys
from dataclasses import dataclass
from typing import Callable, Dict, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'Sprite', 'hsv', 'smooth_noise', 'OBJECT_DRAWERS', 'DISTRACTOR_DRAWERS', 'CONTEXTS',
    'render_background', 'draw_distractor', 'paste', 'finish_image',
]

#: Context names; each belongs to one class (``docs/synthetic_dataset.md``, "Context bias").
CONTEXTS = ('rails', 'water', 'sky')


@dataclass
class Sprite:
    """An object cut-out.

    Attributes:
        mask: (h, w) bool, True on object pixels.
        rgb: (h, w, 3) float32 in [0, 1]; only meaningful where ``mask`` is True.
    """
    mask: np.ndarray
    rgb: np.ndarray

    @property
    def shape(self) -> Tuple[int, int]:
        return self.mask.shape


def hsv(h: float, s: float, v: float) -> np.ndarray:
    """HSV (each in [0, 1], hue wraps) to a (3,) float32 RGB colour."""
    return np.array(colorsys.hsv_to_rgb(h % 1.0, float(np.clip(s, 0, 1)), float(np.clip(v, 0, 1))),
                    np.float32)


def smooth_noise(rng: np.random.Generator, h: int, w: int, cell: float) -> np.ndarray:
    """Value noise correlated over about ``cell`` pixels.

    Args:
        rng: Random generator.
        h, w: Output size.
        cell: Correlation length in pixels (>= 1).

    Returns:
        (h, w) float32, roughly zero mean and unit std, clipped to [-2.5, 2.5].
    """
    cell = max(1.0, float(cell))
    gh, gw = int(np.ceil(h / cell)) + 2, int(np.ceil(w / cell)) + 2
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    if cell <= 1.0:
        out = grid[:h, :w]
    else:
        big = cv2.resize(grid, (int(gw * cell), int(gh * cell)), interpolation=cv2.INTER_CUBIC)
        out = big[:h, :w]
        std = float(out.std())
        if std > 1e-6:
            out = out / std
    return np.clip(out, -2.5, 2.5).astype(np.float32)


def _poly(mask: np.ndarray, pts, value: int = 1) -> None:
    cv2.fillPoly(mask, [np.round(np.asarray(pts, np.float64)).astype(np.int32)], value)


def _rect(mask: np.ndarray, x0, y0, x1, y1, value: int = 1) -> None:
    """Fill the closed pixel rectangle [x0, x1] x [y0, y1] (float coordinates are rounded)."""
    cv2.rectangle(mask, (int(round(x0)), int(round(y0))), (int(round(x1)), int(round(y1))), value, -1)


def _shade(rng: np.random.Generator, part: np.ndarray, color: np.ndarray, rgb: np.ndarray,
           tex_amp: float = 0.06, cell: float = 3.0) -> None:
    """Paint ``color`` with a multiplicative noise texture where ``part`` is set."""
    m = part > 0
    if not m.any():
        return
    h, w = part.shape
    tex = 1.0 + tex_amp * smooth_noise(rng, h, w, cell)
    rgb[m] = np.clip(color[None, :] * tex[m][:, None], 0, 1)


def _crop(mask: np.ndarray, rgb: np.ndarray) -> Sprite:
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return Sprite(mask.astype(bool), rgb)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return Sprite(mask[y0:y1, x0:x1].astype(bool), rgb[y0:y1, x0:x1].copy())


def _maybe_flip(rng: np.random.Generator, sp: Sprite) -> Sprite:
    if rng.random() < 0.5:
        return Sprite(sp.mask[:, ::-1].copy(), sp.rgb[:, ::-1].copy())
    return sp


def _rotate(sp: Sprite, angle_deg: float) -> Sprite:
    """Rotate a sprite about its centre with nearest-neighbour sampling (edges stay crisp)."""
    h, w = sp.mask.shape
    d = int(np.ceil(np.hypot(h, w))) + 2
    big_m = np.zeros((d, d), np.uint8)
    big_c = np.zeros((d, d, 3), np.float32)
    oy, ox = (d - h) // 2, (d - w) // 2
    big_m[oy:oy + h, ox:ox + w] = sp.mask
    big_c[oy:oy + h, ox:ox + w] = sp.rgb
    rot = cv2.getRotationMatrix2D((d / 2.0, d / 2.0), angle_deg, 1.0)
    m = cv2.warpAffine(big_m, rot, (d, d), flags=cv2.INTER_NEAREST)
    c = cv2.warpAffine(big_c, rot, (d, d), flags=cv2.INTER_NEAREST)
    return _crop(m > 0, c)


# ----------------------------------------------------------------------------------------------
# Class objects. Each drawer takes (rng, s) with s = the object's largest extent in pixels.
# ----------------------------------------------------------------------------------------------
def draw_train(rng: np.random.Generator, s: float) -> Sprite:
    """Side view of a chain of 1-3 cars with a window row, a stripe and wheels (long and low)."""
    L = max(8, int(round(s)))
    n_cars = 1 if L < 36 else int(rng.integers(1, 4))
    h = max(4, int(round(L * (rng.uniform(0.28, 0.36) if n_cars == 1 else rng.uniform(0.17, 0.25)))))
    wr = max(1, int(round(h * 0.13)))
    H = h + wr
    mask = np.zeros((H, L), np.uint8)
    body = np.zeros((H, L), np.uint8)
    rgb = np.zeros((H, L, 3), np.float32)
    hue = float(rng.choice([0.0, 0.03, 0.08, 0.14, 0.33, 0.6, 0.66])) + rng.uniform(-0.02, 0.02)
    col = hsv(hue, rng.uniform(0.6, 0.9), rng.uniform(0.6, 0.9))
    gap = max(1, int(round(L * 0.025))) if n_cars > 1 else 0
    cl = (L - gap * (n_cars - 1)) / n_cars
    wheels = np.zeros((H, L), np.uint8)
    windows = np.zeros((H, L), np.uint8)
    stripe = np.zeros((H, L), np.uint8)
    for i in range(n_cars):
        x0 = i * (cl + gap)
        x1 = x0 + cl - 1
        if i == n_cars - 1:  # locomotive nose
            nose = cl * rng.uniform(0.12, 0.22)
            _poly(body, [(x0, 0), (x1 - nose, 0), (x1, h * 0.45), (x1, h - 1), (x0, h - 1)])
        else:
            _rect(body, x0, 0, x1, h - 1)
        if i > 0:  # coupler keeps the chain one connected instance
            _rect(body, x0 - gap - 1, h * 0.65, x0 + 1, h * 0.65 + max(1, h * 0.12))
        if h >= 7:
            wh = max(1, int(round(h * 0.22)))
            ww = max(1, int(round(wh * rng.uniform(1.0, 1.8))))
            n_win = max(1, int((cl * 0.75) // (ww * 1.8)))
            xs = np.linspace(x0 + cl * 0.12, x1 - cl * 0.2 - ww, n_win)
            for xw in xs:
                _rect(windows, xw, h * 0.2, xw + ww - 1, h * 0.2 + wh - 1)
            _rect(stripe, x0, h * 0.68, x1, h * 0.68 + max(1, h * 0.08))
        for fx in (0.2, 0.8):
            cv2.circle(wheels, (int(round(x0 + fx * cl)), h - 1), wr, 1, -1)
    mask[:] = np.maximum(body, wheels)
    _shade(rng, body, col, rgb, 0.05, 4)
    _shade(rng, stripe & body, np.clip(col * rng.choice([0.5, 1.4]), 0, 1), rgb, 0.03)
    _shade(rng, windows & body, hsv(rng.uniform(0.1, 0.55), rng.uniform(0.1, 0.35), rng.uniform(0.85, 1.0)),
           rgb, 0.03)
    _shade(rng, wheels & (1 - body), hsv(0, 0, rng.uniform(0.1, 0.2)), rgb, 0.1)
    return _maybe_flip(rng, _crop(mask, rgb))


def draw_boat(rng: np.random.Generator, s: float) -> Sprite:
    """Trapezoid hull plus a mast and a triangular sail; the last rows sit below the waterline."""
    W = max(8, int(round(s)))
    hh = max(3, int(round(W * rng.uniform(0.18, 0.26))))
    mh = max(3, int(round(W * rng.uniform(0.45, 0.75))))
    H = hh + mh
    hull = np.zeros((H, W), np.uint8)
    rig = np.zeros((H, W), np.uint8)
    sail = np.zeros((H, W), np.uint8)
    rgb = np.zeros((H, W, 3), np.float32)
    bow = W * rng.uniform(0.08, 0.2)
    _poly(hull, [(0, mh), (W - 1, mh), (W - 1 - bow, H - 1), (bow * 0.6, H - 1)])
    mx = W * rng.uniform(0.4, 0.6)
    mw = max(1.0, W * 0.035)
    _rect(rig, mx - mw / 2, mh * 0.02, mx + mw / 2, mh)
    side = 1 if rng.random() < 0.5 else -1
    foot = mh - max(1, int(round(hh * 0.3)))
    _poly(sail, [(mx, mh * 0.04), (mx, foot), (mx + side * W * rng.uniform(0.3, 0.45), foot)])
    if rng.random() < 0.5:  # jib
        _poly(sail, [(mx - side, mh * 0.15), (mx - side, foot), (mx - side * W * rng.uniform(0.15, 0.3), foot)])
    hull_col = [hsv(0.07, 0.65, 0.4), hsv(0.62, 0.7, 0.35), hsv(0.0, 0.75, 0.55), hsv(0.0, 0.04, 0.93)][
        int(rng.integers(4))]
    hull_col = hsv(*colorsys.rgb_to_hsv(*hull_col)) * rng.uniform(0.9, 1.1)
    sail_col = [hsv(0.12, 0.15, 0.96), hsv(0.0, 0.0, 0.98), hsv(0.04, 0.7, 0.9)][int(rng.integers(3))]
    _shade(rng, hull, np.clip(hull_col, 0, 1), rgb, 0.06, 3)
    band = np.zeros_like(hull)
    _rect(band, 0, mh, W - 1, mh + max(0, hh * 0.15))
    _shade(rng, band & hull, hsv(rng.uniform(0, 1), 0.3, 0.95), rgb, 0.02)
    _shade(rng, rig & (1 - hull), hsv(0.08, 0.4, 0.35), rgb, 0.05)
    _shade(rng, sail & (1 - rig), sail_col, rgb, 0.03, 6)
    mask = np.maximum(np.maximum(hull, rig), sail)
    return _maybe_flip(rng, _crop(mask, rgb))


def draw_aeroplane(rng: np.random.Generator, s: float) -> Sprite:
    """Top-down cross silhouette: fuselage, swept wings and tailplane, rotated by up to 25 deg."""
    L = max(8, int(round(s)))
    span = L * rng.uniform(0.75, 0.95)
    H = int(np.ceil(span)) + 2
    cy = H / 2.0
    fus = np.zeros((H, L), np.uint8)
    wing = np.zeros((H, L), np.uint8)
    stripe = np.zeros((H, L), np.uint8)
    rgb = np.zeros((H, L, 3), np.float32)
    fw = max(2.0, L * 0.11)
    cv2.ellipse(fus, (int(round(L / 2)), int(round(cy))), (max(1, L // 2 - 1), max(1, int(round(fw / 2)))),
                0, 0, 360, 1, -1)
    xr = L * rng.uniform(0.5, 0.6)  # wing root, nose at the right
    rc, tc, sweep = L * 0.2, L * 0.08, L * rng.uniform(0.1, 0.2)
    for sgn in (-1, 1):
        tip = cy + sgn * span / 2
        _poly(wing, [(xr, cy), (xr - rc, cy), (xr - sweep - tc, tip), (xr - sweep, tip)])
        ts = span * 0.2
        _poly(wing, [(L * 0.14, cy), (L * 0.04, cy), (L * 0.0, cy + sgn * ts), (L * 0.06, cy + sgn * ts)])
    _rect(stripe, L * 0.1, cy - max(0.5, fw * 0.12), L * 0.9, cy + max(0.5, fw * 0.12))
    base = hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.08), rng.uniform(0.72, 0.95))
    mask = np.maximum(fus, wing)
    _shade(rng, mask, base, rgb, 0.04, 5)
    _shade(rng, wing & (1 - fus), base * rng.uniform(0.82, 0.95), rgb, 0.04, 5)
    _shade(rng, stripe & fus, hsv(rng.choice([0.0, 0.6, 0.08]), 0.8, 0.7), rgb, 0.03)
    sp = _maybe_flip(rng, _crop(mask, rgb))
    return _rotate(sp, rng.uniform(-25, 25))


def draw_sheep(rng: np.random.Generator, s: float) -> Sprite:
    """Fluffy ellipse (wavy outline, woolly noise texture) with a dark head and legs."""
    W = max(8, int(round(s)))
    a = W * 0.4
    b = a * rng.uniform(0.6, 0.75)
    leg = max(1, int(round(W * 0.14)))
    H = int(np.ceil(2 * b + leg + 3))
    cx, cy = W * 0.42, b + 1
    body = np.zeros((H, W), np.uint8)
    dark = np.zeros((H, W), np.uint8)
    rgb = np.zeros((H, W, 3), np.float32)
    th = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    r = np.ones_like(th)
    for k in range(6, 11):
        r += rng.uniform(0.015, 0.04) * np.cos(k * th + rng.uniform(0, 2 * np.pi))
    _poly(body, np.stack([cx + a * r * np.cos(th), cy + b * r * np.sin(th)], 1))
    lw = max(1.0, W * 0.06)
    for fx in (-0.55, -0.2, 0.3, 0.6):
        x = cx + fx * a
        _rect(dark, x - lw / 2, cy + b * 0.6, x + lw / 2, cy + b * 0.6 + leg + b * 0.35)
    # The head overlaps the body edge; it is drawn last and belongs to the same instance.
    head = np.zeros_like(dark)
    hx, hy = cx + a * rng.uniform(0.85, 1.0), cy - b * rng.uniform(0.1, 0.4)
    cv2.ellipse(head, (int(round(hx)), int(round(hy))), (max(1, int(round(W * 0.13))), max(1, int(round(W * 0.09)))),
                float(rng.uniform(-30, 30)), 0, 360, 1, -1)
    wool = hsv(rng.uniform(0.08, 0.14), rng.uniform(0.05, 0.15), rng.uniform(0.8, 0.95))
    m = body > 0
    tex = 1.0 + 0.16 * smooth_noise(rng, H, W, rng.uniform(1.5, 2.5))
    rgb[m] = np.clip(wool[None] * tex[m][:, None], 0, 1)
    face = hsv(0.07, 0.4, rng.uniform(0.1, 0.3))
    _shade(rng, dark & (1 - body), face, rgb, 0.05)
    _shade(rng, head, face, rgb, 0.05)
    mask = np.maximum(np.maximum(body, dark), head)
    sp = _crop(mask, rgb)
    return _maybe_flip(rng, sp)


def draw_bottle(rng: np.random.Generator, s: float) -> Sprite:
    """Thin tall bottle: body, shoulders, neck, cap, highlight and an optional label."""
    H = max(10, int(round(s)))
    w = max(3, int(round(H * rng.uniform(0.24, 0.32))))
    nw = max(1.0, w * 0.4)
    glass = np.zeros((H, w), np.uint8)
    cap = np.zeros((H, w), np.uint8)
    rgb = np.zeros((H, w, 3), np.float32)
    c = (w - 1) / 2.0
    _rect(glass, 0, H * 0.45, w - 1, H - 1)
    _poly(glass, [(0, H * 0.46), (w - 1, H * 0.46), (c + nw / 2, H * 0.27), (c - nw / 2, H * 0.27)])
    _rect(glass, c - nw / 2, H * 0.08, c + nw / 2, H * 0.28)
    _rect(cap, c - nw * 0.6, 0, c + nw * 0.6, H * 0.08)
    kind = int(rng.integers(3))
    col = [hsv(rng.uniform(0.28, 0.42), rng.uniform(0.6, 0.9), rng.uniform(0.3, 0.6)),
           hsv(0.07, 0.8, rng.uniform(0.3, 0.45)),
           hsv(0.55, rng.uniform(0.35, 0.55), rng.uniform(0.6, 0.8))][kind]
    _shade(rng, glass, col, rgb, 0.05, 3)
    hl = np.zeros_like(glass)
    _rect(hl, w * 0.2, H * 0.3, max(w * 0.2, w * 0.3), H * 0.95)
    _shade(rng, hl & glass, np.clip(col * 1.6 + 0.1, 0, 1), rgb, 0.02)
    if rng.random() < 0.6 and H >= 16:
        lab = np.zeros_like(glass)
        _rect(lab, 0, H * 0.58, w - 1, H * 0.78)
        _shade(rng, lab & glass, hsv(rng.uniform(0, 1), rng.uniform(0, 0.8), rng.uniform(0.7, 1.0)), rgb, 0.02)
    _shade(rng, cap, hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.9)), rgb, 0.02)
    return _crop(np.maximum(glass, cap), rgb)


def draw_tvmonitor(rng: np.random.Generator, s: float) -> Sprite:
    """Dark (or silver) frame around a bright screen, on a small stand."""
    W = max(8, int(round(s)))
    Hs = max(6, int(round(W * rng.uniform(0.65, 0.8))))
    sh = max(2, int(round(W * rng.uniform(0.08, 0.14))))
    H = Hs + sh
    t = max(1, int(round(W * rng.uniform(0.05, 0.09))))
    frame = np.zeros((H, W), np.uint8)
    screen = np.zeros((H, W), np.uint8)
    stand = np.zeros((H, W), np.uint8)
    rgb = np.zeros((H, W, 3), np.float32)
    _rect(frame, 0, 0, W - 1, Hs - 1)
    _rect(screen, t, t, W - 1 - t, Hs - 1 - t)
    c = (W - 1) / 2.0
    _rect(stand, c - max(1, W * 0.05), Hs - 1, c + max(1, W * 0.05), H - 1)
    _rect(stand, c - W * 0.22, H - max(1, sh * 0.35), c + W * 0.22, H - 1)
    fcol = hsv(0, 0, rng.uniform(0.05, 0.22)) if rng.random() < 0.75 else hsv(0.6, 0.05, rng.uniform(0.6, 0.7))
    _shade(rng, np.maximum(frame, stand), fcol, rgb, 0.05)
    # Bright screen: a lit gradient with a few coloured "picture" blobs.
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    g = (xs / W + ys / H) * 0.5
    scr = hsv(rng.uniform(0, 1), rng.uniform(0.15, 0.5), rng.uniform(0.85, 1.0))
    pic = scr[None, None, :] * (0.88 + 0.24 * g[..., None])
    for _ in range(int(rng.integers(0, 3))):
        blob = np.zeros((H, W), np.uint8)
        cv2.circle(blob, (int(rng.uniform(t, W - t)), int(rng.uniform(t, Hs - t))),
                   max(1, int(W * rng.uniform(0.08, 0.2))), 1, -1)
        pic[blob > 0] = hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.7), rng.uniform(0.8, 1.0))
    m = screen > 0
    rgb[m] = np.clip(pic[m], 0, 1)
    return _crop(np.maximum(frame, stand), rgb)


#: Class id (1..6) -> drawer(rng, size) -> Sprite.
OBJECT_DRAWERS: Dict[int, Callable[[np.random.Generator, float], Sprite]] = {
    1: draw_train, 2: draw_boat, 3: draw_aeroplane, 4: draw_sheep, 5: draw_bottle, 6: draw_tvmonitor,
}


# ----------------------------------------------------------------------------------------------
# Distractors: background "stuff" that is none of the classes (clutter in ID images, OoD content).
# ----------------------------------------------------------------------------------------------
def _d_tree(rng, s):
    W = max(6, int(round(s * 0.7)))
    H = max(8, int(round(s)))
    m = np.zeros((H, W), np.uint8)
    trunk = np.zeros((H, W), np.uint8)
    rgb = np.zeros((H, W, 3), np.float32)
    _rect(trunk, W / 2 - max(1, W * 0.08), H * 0.55, W / 2 + max(1, W * 0.08), H - 1)
    cv2.ellipse(m, (W // 2, int(H * 0.35)), (max(1, W // 2 - 1), max(1, int(H * 0.34))), 0, 0, 360, 1, -1)
    _shade(rng, trunk, hsv(0.07, 0.6, 0.3), rgb, 0.05)
    _shade(rng, m, hsv(rng.uniform(0.25, 0.4), 0.7, rng.uniform(0.25, 0.5)), rgb, 0.2, 2)
    return _crop(np.maximum(m, trunk), rgb)


def _d_house(rng, s):
    W = max(8, int(round(s)))
    H = max(8, int(round(s * rng.uniform(0.8, 1.1))))
    wall = np.zeros((H, W), np.uint8)
    roof = np.zeros((H, W), np.uint8)
    door = np.zeros((H, W), np.uint8)
    rgb = np.zeros((H, W, 3), np.float32)
    _rect(wall, W * 0.1, H * 0.4, W * 0.9, H - 1)
    _poly(roof, [(0, H * 0.42), (W - 1, H * 0.42), (W / 2, 0)])
    _rect(door, W * 0.42, H * 0.7, W * 0.58, H - 1)
    _shade(rng, wall, hsv(rng.uniform(0.05, 0.15), rng.uniform(0.2, 0.5), rng.uniform(0.6, 0.9)), rgb, 0.05)
    _shade(rng, roof, hsv(rng.uniform(0.0, 0.05), 0.7, rng.uniform(0.3, 0.6)), rgb, 0.05)
    _shade(rng, door & wall, hsv(0.07, 0.6, 0.25), rgb, 0.05)
    return _crop(np.maximum(wall, roof), rgb)


def _d_ball(rng, s):
    d = max(4, int(round(s * 0.6)))
    m = np.zeros((d, d), np.uint8)
    rgb = np.zeros((d, d, 3), np.float32)
    cv2.circle(m, (d // 2, d // 2), max(1, d // 2 - 1), 1, -1)
    _shade(rng, m, hsv(rng.uniform(0, 1), rng.uniform(0.5, 1), rng.uniform(0.5, 1)), rgb, 0.05)
    return _crop(m, rgb)


def _d_sign(rng, s):
    H = max(8, int(round(s)))
    W = max(4, int(round(H * 0.45)))
    m = np.zeros((H, W), np.uint8)
    pole = np.zeros((H, W), np.uint8)
    rgb = np.zeros((H, W, 3), np.float32)
    _rect(pole, W / 2 - max(0.5, W * 0.06), H * 0.3, W / 2 + max(0.5, W * 0.06), H - 1)
    if rng.random() < 0.5:
        cv2.circle(m, (W // 2, int(W / 2)), max(1, W // 2 - 1), 1, -1)
    else:
        _poly(m, [(0, W - 1), (W - 1, W - 1), (W / 2, 0)])
    _shade(rng, pole, hsv(0, 0, 0.55), rgb, 0.03)
    _shade(rng, m, hsv(rng.choice([0.0, 0.13]), 0.85, 0.85), rgb, 0.03)
    return _crop(np.maximum(m, pole), rgb)


def _d_star(rng, s):
    d = max(6, int(round(s * 0.7)))
    m = np.zeros((d, d), np.uint8)
    rgb = np.zeros((d, d, 3), np.float32)
    k = np.arange(10)
    rad = np.where(k % 2 == 0, d / 2 - 1, d * 0.2)
    ang = k * np.pi / 5 + rng.uniform(0, np.pi)
    _poly(m, np.stack([d / 2 + rad * np.cos(ang), d / 2 + rad * np.sin(ang)], 1))
    _shade(rng, m, hsv(rng.uniform(0, 1), rng.uniform(0.4, 1), rng.uniform(0.5, 1)), rgb, 0.05)
    return _crop(m, rgb)


DISTRACTOR_DRAWERS: Sequence[Callable[[np.random.Generator, float], Sprite]] = (
    _d_tree, _d_house, _d_ball, _d_sign, _d_star)


def draw_distractor(rng: np.random.Generator, s: float) -> Sprite:
    """A random non-class shape (tree, house, ball, road sign or star) of extent ~``s`` px."""
    return DISTRACTOR_DRAWERS[int(rng.integers(len(DISTRACTOR_DRAWERS)))](rng, s)


# ----------------------------------------------------------------------------------------------
# Backgrounds
# ----------------------------------------------------------------------------------------------
def _fill(rng, img, y0, y1, color, amp, cell):
    h, w = y1 - y0, img.shape[1]
    if h <= 0:
        return
    tex = 1.0 + amp * smooth_noise(rng, h, w, cell)
    img[y0:y1] = np.clip(color[None, None, :] * tex[..., None], 0, 1)


def _sky(rng, img, y0, y1):
    h, w = y1 - y0, img.shape[1]
    if h <= 0:
        return
    top = hsv(rng.uniform(0.56, 0.6), rng.uniform(0.45, 0.6), rng.uniform(0.8, 0.9))
    bot = hsv(rng.uniform(0.55, 0.58), rng.uniform(0.15, 0.3), rng.uniform(0.93, 1.0))
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img[y0:y1] = top * (1 - t) + bot * t
    for _ in range(int(rng.integers(0, 4))):
        cloud = np.zeros((h, w), np.uint8)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = max(2.0, w * rng.uniform(0.04, 0.09))
        for _ in range(int(rng.integers(3, 6))):
            cv2.circle(cloud, (int(cx + rng.uniform(-2, 2) * r), int(cy + rng.uniform(-0.5, 0.5) * r)),
                       int(r * rng.uniform(0.7, 1.2)), 1, -1)
        region = img[y0:y1]
        region[cloud > 0] = hsv(0, 0, rng.uniform(0.95, 1.0))


def _water(rng, img, y0, y1):
    h, w = y1 - y0, img.shape[1]
    if h <= 0:
        return
    base = hsv(rng.uniform(0.54, 0.6), rng.uniform(0.6, 0.8), rng.uniform(0.45, 0.62))
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    shade = 1.0 - 0.25 * t  # deeper water is darker
    lam = max(4.0, w * rng.uniform(0.1, 0.2))
    xs = np.arange(w, dtype=np.float32)[None, :]
    phase = np.repeat(rng.uniform(0, 2 * np.pi, (h + 1) // 2 + 1), 2)[:h, None]
    waves = (np.sin(2 * np.pi * xs / lam + phase) > 0.8).astype(np.float32)
    val = shade * (1 + 0.4 * waves) * (1 + 0.04 * smooth_noise(rng, h, w, 2))
    img[y0:y1] = np.clip(base[None, None] * val[..., None], 0, 1)


def _neutral_top(rng, img, y0, y1):
    h, w = y1 - y0, img.shape[1]
    if h <= 0:
        return
    kind = int(rng.integers(4))
    if kind == 0:  # brick wall
        col = hsv(rng.choice([rng.uniform(0.02, 0.14), rng.uniform(0.9, 1.0)]), rng.uniform(0.15, 0.45),
                  rng.uniform(0.55, 0.85))
        _fill(rng, img, y0, y1, col, 0.04, 3)
        p = max(3, int(w * rng.uniform(0.05, 0.09)))
        region = img[y0:y1]
        region[::p] *= 0.75
        for r0 in range(0, h, p):
            off = (p if (r0 // p) % 2 else 0)
            region[r0:r0 + p, off::2 * p] *= 0.75
    elif kind == 1:  # forest
        _fill(rng, img, y0, y1, hsv(rng.uniform(0.25, 0.38), rng.uniform(0.45, 0.7), rng.uniform(0.22, 0.4)),
              0.25, 3)
    elif kind == 2:  # building facade with a window grid
        _fill(rng, img, y0, y1, hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.1), rng.uniform(0.5, 0.7)), 0.04, 4)
        p = max(4, int(w * rng.uniform(0.08, 0.14)))
        q = max(1, p // 2)
        region = img[y0:y1]
        for r0 in range(q // 2, h - q, p):
            for c0 in range(q // 2, w - q, p):
                region[r0:r0 + q, c0:c0 + q] = hsv(0.6, 0.2, rng.uniform(0.2, 0.35))
    else:  # clutter
        _clutter(rng, img, y0, y1)


def _clutter(rng, img, y0, y1):
    h, w = y1 - y0, img.shape[1]
    _fill(rng, img, y0, y1, hsv(rng.uniform(0.05, 0.12), rng.uniform(0.05, 0.25), rng.uniform(0.4, 0.65)),
          0.05, 3)
    region = img[y0:y1]
    for _ in range(int(rng.integers(8, 25))):
        rw, rh = int(rng.integers(2, max(3, w // 8))), int(rng.integers(2, max(3, w // 8)))
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, max(1, h)))
        region[cy:cy + rh, cx:cx + rw] = hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.5), rng.uniform(0.3, 0.8))


def _neutral_ground(rng, img, y0, y1):
    h, w = y1 - y0, img.shape[1]
    if h <= 0:
        return
    kind = int(rng.integers(5))
    if kind == 0:  # grass
        _fill(rng, img, y0, y1, hsv(rng.uniform(0.22, 0.32), rng.uniform(0.5, 0.7), rng.uniform(0.4, 0.6)),
              0.15, 1.5)
    elif kind == 1:  # sand / dirt
        _fill(rng, img, y0, y1, hsv(rng.uniform(0.08, 0.12), rng.uniform(0.25, 0.45), rng.uniform(0.6, 0.8)),
              0.06, 2)
    elif kind == 2:  # wooden floor
        _fill(rng, img, y0, y1, hsv(rng.uniform(0.06, 0.1), rng.uniform(0.4, 0.6), rng.uniform(0.45, 0.65)),
              0.05, 4)
        p = max(3, int(w * rng.uniform(0.06, 0.1)))
        img[y0:y1:p] *= 0.7
    elif kind == 3:  # grey pavement
        _fill(rng, img, y0, y1, hsv(rng.uniform(0, 1), 0.03, rng.uniform(0.35, 0.55)), 0.08, 1)
    else:
        _clutter(rng, img, y0, y1)


def _track(rng, img, y_rail, S):
    """A side-view railway: steel rail line on top of a ballast strip with sleeper ends."""
    bh = max(3, int(round(S * rng.uniform(0.06, 0.1))))
    rt = max(1, int(round(S * 0.015)))
    y_b1 = min(S, y_rail + bh)
    _fill(rng, img, y_rail, y_b1, hsv(rng.uniform(0.06, 0.1), rng.uniform(0.1, 0.2), rng.uniform(0.45, 0.6)),
          0.2, 1)
    p = max(3, int(round(S * rng.uniform(0.05, 0.07))))
    sw = max(1, int(round(p * 0.45)))
    off = int(rng.integers(0, p))
    sleeper = hsv(0.07, 0.6, rng.uniform(0.2, 0.3))
    for x in range(off - p, S, p):
        img[y_rail + rt:min(S, y_rail + int(bh * 0.7)), max(0, x):max(0, x + sw)] = sleeper
    img[max(0, y_rail - rt + 1):y_rail + 1] = hsv(0.6, 0.05, rng.uniform(0.72, 0.85))
    return bh


def render_background(rng: np.random.Generator, S: int, contexts: Sequence[str]) -> Tuple[np.ndarray, Dict]:
    """Render a background that carries the given contexts.

    Layout: a horizon splits the image into a top region (sky if ``'sky'`` else a neutral wall,
    forest, facade or clutter) and a bottom region (water if ``'water'``; neutral ground
    otherwise; a railway track if ``'rails'``, on land below the water when both are present).

    Args:
        rng: Random generator.
        S: Image side in pixels.
        contexts: Subset of :data:`CONTEXTS`.

    Returns:
        tuple: (S, S, 3) float32 image and a layout dict with ``horizon`` (row), ``sky`` /
        ``water`` / ``ground`` as (y0, y1) row ranges or None, and ``rails`` (list of rail rows).
    """
    ctx = set(contexts)
    unknown = ctx - set(CONTEXTS)
    if unknown:
        raise ValueError(f'unknown contexts {sorted(unknown)}; known: {CONTEXTS}')
    img = np.zeros((S, S, 3), np.float32)
    yh = int(round(S * rng.uniform(0.35, 0.6)))
    lay = {'horizon': yh, 'sky': None, 'water': None, 'ground': None, 'rails': []}
    if 'sky' in ctx:
        _sky(rng, img, 0, yh)
        lay['sky'] = (0, yh)
    else:
        _neutral_top(rng, img, 0, yh)
    if 'water' in ctx and 'rails' in ctx:
        ym = yh + int(round((S - yh) * rng.uniform(0.35, 0.5)))
        _water(rng, img, yh, ym)
        _neutral_ground(rng, img, ym, S)
        lay['water'], lay['ground'] = (yh, ym), (ym, S)
    elif 'water' in ctx:
        _water(rng, img, yh, S)
        lay['water'] = (yh, S)
    else:
        _neutral_ground(rng, img, yh, S)
        lay['ground'] = (yh, S)
    if 'rails' in ctx:
        g0, g1 = lay['ground']
        lo = g0 + max(1, int((g1 - g0) * 0.3))
        hi = max(lo + 1, g1 - max(3, int(S * 0.1)))
        y_rail = int(rng.integers(lo, hi))
        _track(rng, img, y_rail, S)
        lay['rails'].append(y_rail)
        if rng.random() < 0.3 and y_rail - g0 > S * 0.2:  # a second, farther track
            y2 = int(rng.integers(g0 + 2, y_rail - int(S * 0.12)))
            _track(rng, img, y2, S)
            lay['rails'].append(y2)
    return img, lay


def paste(img: np.ndarray, ids: np.ndarray, sp: Sprite, top: int, left: int, value: int) -> np.ndarray:
    """Draw ``sp`` into ``img`` at (top, left), clipped to the image, and stamp ``value`` into ``ids``.

    Args:
        img: (S, S, 3) float32 image, modified in place.
        ids: (S, S) integer id map, modified in place (``value`` where the sprite is drawn).
        sp: The sprite.
        top, left: Image position of the sprite's top-left pixel (may be negative).
        value: Id to stamp.

    Returns:
        (S, S) bool mask of the pixels this sprite covers in the image.
    """
    S0, S1 = ids.shape
    h, w = sp.mask.shape
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(S0, top + h), min(S1, left + w)
    cover = np.zeros(ids.shape, bool)
    if y1 <= y0 or x1 <= x0:
        return cover
    m = sp.mask[y0 - top:y1 - top, x0 - left:x1 - left]
    cover[y0:y1, x0:x1] = m
    img[y0:y1, x0:x1][m] = sp.rgb[y0 - top:y1 - top, x0 - left:x1 - left][m]
    ids[y0:y1, x0:x1][m] = value
    return cover


def finish_image(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Global illumination gradient + light Gaussian noise, then quantise.

    Args:
        rng: Random generator.
        img: (S, S, 3) float32 in [0, 1].

    Returns:
        (S, S, 3) uint8 RGB.
    """
    S0, S1 = img.shape[:2]
    phi = rng.uniform(0, 2 * np.pi)
    g = rng.uniform(0.0, 0.3)
    yy, xx = np.mgrid[0:S0, 0:S1].astype(np.float32)
    ramp = (xx * np.cos(phi) + yy * np.sin(phi)) / max(S0, S1)
    ramp = 1.0 + g * (ramp - ramp.mean())
    out = img * ramp[..., None] + rng.normal(0, rng.uniform(0.01, 0.025), img.shape).astype(np.float32)
    return np.clip(np.round(out * 255.0), 0, 255).astype(np.uint8)
