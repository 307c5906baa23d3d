"""Measure the effect of the fidelity fixes and choices listed in docs/fidelity.md on fixed inputs.

    python tools/analysis/fidelity_effects.py [--data-root data/synthetic]

Prints: IRN path-rule differences (directions, affinity, random walk), IRN pair-source fractions, SEC training
CRF RGB vs BGR, SEC test resize cv2 vs scipy zoom, float32 vs float64 upsampling, BLPSeg CRF image truncation,
wsscoseg CRF clip. Deterministic (seed 0). Needs pydensecrf for the CRF numbers (else the torch backend is used).
"""
import argparse
import glob
import os.path as osp

import numpy as np
import torch
import torch.nn.functional as F


def _rounded_sample_paths(radius):
    """The rule mmwsss used before IRN's: rounded samples at every unit step of the longer axis."""
    from mmwsss.models.utils.irn_affinity import path_offsets
    out = {}
    for (dy, dx), _ in path_offsets(radius):
        steps, cells = max(abs(dy), abs(dx)), []
        for t in range(steps + 1):
            c = (int(np.floor(dy * t / steps + 0.5)), int(np.floor(dx * t / steps + 0.5)))
            if not cells or cells[-1] != c:
                cells.append(c)
        out[(dy, dx)] = tuple(cells)
    return out


def irn_effects(rng):
    import mmwsss.models.utils.irn_affinity as ia
    from mmwsss.stages.irn import random_walk
    for r in (5, 10):
        new = {d: set(c) for d, c in ia.path_offsets(r)}
        old = {d: set(c) for d, c in _rounded_sample_paths(r).items()}
        print(f'IRN paths, radius {r}: {sum(new[d] != old[d] for d in new)} of {len(new)} directions differ')
    edge = torch.from_numpy(rng.random((8, 8)).astype(np.float32))
    edge = F.interpolate(edge[None, None], size=(32, 32), mode='bilinear', align_corners=False)[0, 0]**3
    cams = F.interpolate(torch.from_numpy(rng.random((1, 2, 4, 4)).astype(np.float32)), size=(32, 32),
                         mode='bilinear', align_corners=False)[0]
    a_new, rw_new = ia.dense_affinity(edge, 5), random_walk(cams, edge, exp_times=8, radius=5)
    old = _rounded_sample_paths(5)
    real = ia.path_offsets
    ia.path_offsets = lambda r: tuple((d, old[d]) for d, _ in real(r)) if r == 5 else real(r)
    try:
        a_old, rw_old = ia.dense_affinity(edge, 5), random_walk(cams, edge, exp_times=8, radius=5)
    finally:
        ia.path_offsets = real
    d = a_old - a_new
    print(f'IRN dense affinity (32x32 smooth random edges, radius 5): old - new max {d.max():.3f}, '
          f'mean over in-radius pairs {d[a_new > 0].abs().mean():.4f}, min {d.min():.2e}')
    n1, n2 = (x / x.amax(dim=(1, 2), keepdim=True) for x in (rw_new, rw_old))
    print(f'IRN random walk (2^8 steps), max-normalised maps: max |d| {(n1 - n2).abs().max():.3f}; argmax labels '
          f'changed {(n1.argmax(0) != n2.argmax(0)).float().mean() * 100:.2f} %')
    for h in (28, 128):
        print(f'IRN pair sources at {h}x{h}, radius 10: {ia.irn_source_mask((h, h), 10).float().mean() * 100:.1f} %')


def sec_effects(rng, images):
    import cv2
    import mmcv

    from mmwsss.datasets.transforms import zoom_linear
    from mmwsss.models.losses.sec_losses import crf_target
    bgr = np.stack([cv2.resize(cv2.imread(p), (41, 41), interpolation=cv2.INTER_LINEAR) for p in images[:4]])
    logits = torch.from_numpy(rng.normal(0, 2, (4, 7, 8, 8)).astype(np.float32))
    logits = F.interpolate(logits, size=(41, 41), mode='bilinear', align_corners=False) * 3
    q_b = crf_target(logits, torch.from_numpy(bgr))
    q_r = crf_target(logits, torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1])))
    print(f'SEC training CRF, RGB vs BGR (4 images at 41x41): mean |dQ| {(q_b - q_r).abs().mean():.2e}; argmax '
          f'changed in {int((q_b.argmax(1) != q_r.argmax(1)).sum())} of {q_b[:, 0].numel()} cells')
    d = np.stack([np.abs(mmcv.imresize(cv2.imread(p), (321, 321)).astype(np.float32) -
                         zoom_linear(cv2.imread(p), (321, 321))) for p in images[:20]])
    print(f'SEC test resize to 321, cv2 vs scipy zoom ({min(20, len(images))} images): mean {d.mean():.2f}, '
          f'99th percentile {np.percentile(d, 99):.1f}, max {d.max():.1f} grey levels')
    p = torch.softmax(torch.from_numpy(rng.normal(0, 3, (1, 21, 41, 41)).astype(np.float32)), 1)
    u32 = F.interpolate(p, size=(375, 500), mode='bilinear', align_corners=True)
    u64 = F.interpolate(p.double(), size=(375, 500), mode='bilinear', align_corners=True).float()
    print(f'SEC test upsampling 41 -> 375x500, float32 vs float64: max |d| {(u32 - u64).abs().max():.2e}')


def crf_choices(rng, images):
    import cv2

    from mmwsss.crf import CRF_PRESETS, crf_postprocess
    h, w = 375, 500
    yy, xx = np.mgrid[0:h, 0:w]
    img = 127 + 60 * np.sin(xx / 7.)[..., None] * np.cos(yy / 9.)[..., None] + rng.normal(0, 20, (h, w, 3))
    img = img.clip(0, 255).astype(np.uint8)
    mean = np.array((0.485, 0.456, 0.406), np.float32)
    std = np.array((0.229, 0.224, 0.225), np.float32)
    back = (((img.astype(np.float32) / 255. - mean) / std) * std + mean) * 255  # BLPSeg: normalise, undo
    trunc = back.clip(0, 255).astype(np.uint8)  # test.py: astype(np.uint8) truncates
    lg = F.interpolate(torch.from_numpy(rng.normal(0, 2, (1, 21, 24, 32)).astype(np.float32)), size=(h, w),
                       mode='bilinear', align_corners=False)[0]
    p = torch.softmax(lg, 0).numpy()
    q1, q2 = crf_postprocess(p, img, preset='blpseg'), crf_postprocess(p, trunc, preset='blpseg')
    print(f'BLPSeg CRF image: {(trunc != img).any(-1).mean() * 100:.1f} % of pixels differ (max '
          f'{np.abs(trunc.astype(int) - img).max()} level); argmax changed {(q1.argmax(0) != q2.argmax(0)).mean():.1e}')
    changed = total = tiny = 0
    for path in images[:10]:
        rgb = np.ascontiguousarray(cv2.imread(path)[..., ::-1])
        lg = F.interpolate(torch.from_numpy(rng.normal(0, 8, (1, 7, 8, 8)).astype(np.float32)),
                           size=rgb.shape[:2], mode='bilinear', align_corners=False)[0]
        pr = torch.softmax(lg, 0).numpy()
        a = crf_postprocess(pr, rgb, preset='wsscoseg')
        b = crf_postprocess(pr, rgb, preset=CRF_PRESETS['wsscoseg'].replace(min_prob=float(np.finfo(np.float32).tiny)))
        changed += int((a.argmax(0) != b.argmax(0)).sum())
        total += a[0].size
        tiny += int((pr < 1e-8).sum())
    print(f'wsscoseg CRF clip 1e-8 vs none: argmax changed in {changed} of {total} pixels '
          f'({tiny} probabilities below 1e-8)')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/synthetic')
    args = parser.parse_args()
    images = sorted(glob.glob(osp.join(args.data_root, 'JPEGImages', '*.jpg')))
    if not images:
        raise FileNotFoundError(f'{args.data_root}/JPEGImages: no .jpg images '
                                '(make them with tools/dataset_converters/make_synthetic.py)')
    rng = np.random.default_rng(0)
    irn_effects(rng)
    sec_effects(rng, images)
    crf_choices(rng, images)


if __name__ == '__main__':
    from mmwsss.utils.cli import tool_main  # one-line errors; --debug shows the traceback
    tool_main(main)()
