"""Dense CRF engine benchmark: backend agreement, SEC training-case speed, full-resolution time and memory.

Run:  python benchmarks/bench_crf.py            (all parts, about 2-4 minutes on 2 CPU cores)
      python benchmarks/bench_crf.py --parts a  (agreement only; parts: a, b, c, d)

(a) agreement at SEC's training setting (41x41, 21 classes, scale 12, 10 iterations) of the torch backend
    (lattice and exact) against pydensecrf, on embedded-dataset scenes and on real photographs
    (skimage.data), as argmax agreement and mean |Q - Q'|;
(b) SEC training case, batch 15, 21 classes, 41x41, 10 iterations: ms per batch of each backend;
(c) full resolution 500x375, 21 classes, 10 iterations (sec_test preset): time and peak memory (RSS
    high-water delta, measured in a fresh subprocess per backend);
(d) share of the CRF in a SEC training step of the embedded config (configs/sec/sec_r18-d8_1xb8-2k_synthetic-128x128.py:
    batch 8, 128x128, 16x16 logits, 7 classes), forward + backward of its network on random input.

"Network" probabilities are simulated (no trained model is involved): for scenes, a blurred, noisy one-hot
of the ground truth; for photographs, a noisy soft colour clustering (k-means, 5 clusters) padded to 21
classes. All ratios are measured in one run.
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
warnings.filterwarnings('ignore')

from mmwsss.crf import dense_crf  # noqa: E402
from mmwsss.crf.pydensecrf_backend import pydensecrf_available, shutdown_pool  # noqa: E402

C = 21


# -------------------------------------------------------------------------------------------------- inputs
def resize_corner_aligned(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear resize with align_corners=True (SEC's scipy.ndimage.zoom(order=1), SEC pylayers.py)."""
    t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    out = F.interpolate(t, size=(h, w), mode='bilinear', align_corners=True)
    return out[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()


def probs_from_labels(lab: np.ndarray, rng, sharpness=4.0, blur=1.0, noise=1.0) -> np.ndarray:
    """Simulated network output (C, h, w): softmax of a blurred one-hot + Gaussian noise."""
    onehot = np.eye(C, dtype=np.float32)[lab].transpose(2, 0, 1) * sharpness
    t = torch.from_numpy(onehot)[None]
    k = int(2 * round(2 * blur) + 1)
    x = torch.arange(k, dtype=torch.float32) - k // 2
    g = torch.exp(-x**2 / (2 * blur**2))
    g = g / g.sum()
    t = F.conv2d(F.pad(t, (k // 2, ) * 4, mode='replicate'), (g[:, None] * g[None])[None, None].repeat(C, 1, 1, 1),
                 groups=C)
    logits = t[0].numpy() + rng.normal(0, noise, t.shape[1:]).astype(np.float32)
    return torch.softmax(torch.from_numpy(logits), 0).numpy()


def probs_from_colours(img: np.ndarray, rng, k=5, temp=600.0, noise=0.7) -> np.ndarray:
    """Simulated network output (C, h, w) for a photograph: soft k-means colour clusters + noise."""
    x = img.reshape(-1, 3).astype(np.float32)
    cent = x[rng.choice(len(x), k, replace=False)]
    for _ in range(10):
        a = ((x[:, None] - cent[None])**2).sum(-1).argmin(1)
        cent = np.stack([x[a == j].mean(0) if (a == j).any() else cent[j] for j in range(k)])
    d2 = ((x[:, None] - cent[None])**2).sum(-1)  # (P, k)
    logits = np.full((x.shape[0], C), -3.0, np.float32)
    cls = rng.choice(np.arange(C), k, replace=False)
    logits[:, cls] = -d2 / temp
    logits += rng.normal(0, noise, logits.shape).astype(np.float32)
    return torch.softmax(torch.from_numpy(logits), 1).numpy().T.reshape(C, *img.shape[:2])


def scene_batch(n, size=41, seed=0):
    """Embedded-dataset scenes (mmwsss.datasets.synthetic.render_scene) at the SEC grid, or blobs."""
    rng = np.random.default_rng(seed)
    imgs, probs, source = [], [], 'embedded dataset (render_scene, 128 px -> 41x41)'
    try:
        from mmwsss.datasets.synthetic import render_scene
    except Exception:  # the generator is optional for this benchmark
        render_scene, source = None, 'blob images (embedded generator not importable)'
    for i in range(n):
        if render_scene is not None:
            sc = render_scene(0, 'train', i, 128)
            cls = np.array([0] + list(sc['inst_classes']))[sc['ids']]
            img = sc['image']
        else:
            img = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
            cls = np.zeros((128, 128), np.int64)
            yy, xx = np.mgrid[:128, :128]
            for c in rng.integers(1, 7, 3):
                m = (yy - rng.uniform(0, 128))**2 + (xx - rng.uniform(0, 128))**2 < rng.uniform(10, 40)**2
                img[m] = rng.integers(0, 255, 3)
                cls[m] = c
        small = resize_corner_aligned(img, size, size)
        lab = cls[np.round(np.linspace(0, 127, size)).astype(int)][:, np.round(np.linspace(0, 127, size)).astype(int)]
        imgs.append(small)
        probs.append(probs_from_labels(lab, rng))
    return np.stack(imgs), torch.from_numpy(np.stack(probs)), source


def photo_list():
    import skimage.data as skd
    out = []
    for name in ('astronaut', 'coffee', 'chelsea', 'rocket', 'immunohistochemistry', 'hubble_deep_field', 'retina'):
        try:
            out.append((name, np.ascontiguousarray(getattr(skd, name)()[..., :3])))
        except Exception:
            pass
    return out


def photo_batch(size=41, seed=1):
    rng = np.random.default_rng(seed)
    imgs, probs, names = [], [], []
    for name, im in photo_list():
        small = resize_corner_aligned(im, size, size)
        imgs.append(small)
        probs.append(probs_from_colours(small, rng))
        names.append(name)
    return np.stack(imgs), torch.from_numpy(np.stack(probs)), names


# ---------------------------------------------------------------------------------------------------- parts
def agreement(q_ref, q):
    return float((q_ref.argmax(1) == q.argmax(1)).float().mean()), float((q_ref - q).abs().mean())


def part_a():
    print('\n(a) agreement with pydensecrf at the SEC training setting (41x41, 21 classes, scale 12, 10 it.)')
    if not pydensecrf_available():
        print('    pydensecrf not installed: skipped')
        return {}
    res = {}
    imgs, probs, src = scene_batch(60)
    pimgs, pprobs, names = photo_batch()
    print(f'    scenes: 60 x {src}; photographs: {len(names)} from skimage.data ({", ".join(names)})')
    print(f'    {"input":<14}{"torch method":<14}{"argmax agree":>14}{"mean |dQ|":>12}{"max |dQ|":>10}')
    for tag, im, pr in (('scenes', imgs, probs), ('photographs', pimgs, pprobs)):
        ref = dense_crf(pr, im, 'sec_train', 'pydensecrf')
        for method in ('lattice', 'exact'):
            q = dense_crf(pr, im, 'sec_train', 'torch', torch_method=method)
            a, m = agreement(ref, q)
            mx = float((ref - q).abs().max())
            res[f'{tag}/{method}'] = (a, m)
            print(f'    {tag:<14}{method:<14}{100 * a:>13.3f}%{m:>12.2e}{mx:>10.2e}')
    # Full-resolution agreement (sec_test preset) on the photographs, lattice only (exact is O(N^2)).
    print('    full resolution (sec_test, photographs resized to 500x375), torch lattice vs pydensecrf:')
    rng = np.random.default_rng(2)
    agr, mad = [], []
    for name, im in photo_list()[:3]:
        big = resize_corner_aligned(im, 375, 500)
        pr = torch.from_numpy(probs_from_colours(big, rng))[None]
        ref = dense_crf(pr, big[None], 'sec_test', 'pydensecrf')
        q = dense_crf(pr, big[None], 'sec_test', 'torch')
        a, m = agreement(ref, q)
        agr.append(a)
        mad.append(m)
        print(f'      {name:<20} argmax agree {100 * a:.4f}%  mean |dQ| {m:.2e}')
    res['fullres/lattice'] = (float(np.mean(agr)), float(np.mean(mad)))
    return res


def _time(fn, reps):
    fn()  # warm-up (allocator, thread pool, process pool start)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return 1000 * float(np.median(ts))


def part_b(reps=5):
    print('\n(b) SEC training case: batch 15, 21 classes, 41x41, 10 iterations (median of '
          f'{reps}, ms per batch; {torch.get_num_threads()} torch threads, {os.cpu_count()} cores)')
    imgs, probs, _ = scene_batch(15, seed=5)
    rows = []
    if pydensecrf_available():
        rows.append(('pydensecrf, image by image', _time(lambda: dense_crf(probs, imgs, 'sec_train', 'pydensecrf'),
                                                          reps)))
        w = os.cpu_count() or 1
        rows.append((f'pydensecrf, {w} processes',
                     _time(lambda: dense_crf(probs, imgs, 'sec_train', 'pydensecrf', workers=w), reps)))
        shutdown_pool()
    for method in ('lattice', 'exact'):
        rows.append((f'torch {method}, CPU',
                     _time(lambda: dense_crf(probs, imgs, 'sec_train', 'torch', torch_method=method), reps)))
    if torch.cuda.is_available():
        pc, ic = probs.cuda(), torch.from_numpy(imgs).cuda()
        for method in ('lattice', 'exact'):
            def run():
                dense_crf(pc, ic, 'sec_train', 'torch', torch_method=method)
                torch.cuda.synchronize()
            rows.append((f'torch {method}, CUDA', _time(run, reps)))
    base = rows[0][1]
    for name, ms in rows:
        print(f'    {name:<32}{ms:>10.1f} ms   x{base / ms:6.2f} vs first row')
    return dict(rows)


_PEAK_RESET_OK = False


def _rss_kb(field):
    """VmRSS / VmHWM of this process in kB (Linux /proc)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def _reset_peak_rss():
    """Reset the RSS high-water mark (VmHWM) so it measures only what follows (Linux clear_refs 5)."""
    global _PEAK_RESET_OK
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        _PEAK_RESET_OK = True
    except OSError:
        _PEAK_RESET_OK = False


def _child_fullres(backend):
    """Runs in a fresh interpreter: time and RSS high-water delta of one 500x375x21 CRF."""
    rng = np.random.default_rng(3)
    import skimage.data as skd
    img = resize_corner_aligned(skd.chelsea(), 375, 500)
    probs = torch.from_numpy(probs_from_colours(img, rng))[None]
    torch.set_num_threads(torch.get_num_threads())
    if backend == 'torch':  # warm the allocator/thread pool on a small input so it does not count as time
        dense_crf(probs[..., :8, :8] / probs[..., :8, :8].sum(1, keepdim=True), img[None, :8, :8], 'sec_test',
                  'torch')
    before = _rss_kb('VmRSS')
    _reset_peak_rss()
    t = time.perf_counter()
    dense_crf(probs, img[None], 'sec_test', backend)
    dt = time.perf_counter() - t
    peak = _rss_kb('VmHWM') if _PEAK_RESET_OK else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(dict(seconds=dt, rss_delta_mb=(peak - before) / 1024)))


def part_c(reps=3):
    print('\n(c) full resolution 500x375, 21 classes, 10 iterations, sec_test preset (fresh process per run; '
          f'median of {reps}; memory = peak RSS during the call minus RSS before it)')
    backends = (['pydensecrf'] if pydensecrf_available() else []) + ['torch']
    res = {}
    for b in backends:
        runs = []
        for _ in range(reps):
            out = subprocess.run([sys.executable, __file__, '--child-fullres', b], capture_output=True, text=True)
            if out.returncode != 0:
                print(out.stderr[-2000:])
                raise RuntimeError(f'child {b} failed')
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        sec = float(np.median([r['seconds'] for r in runs]))
        mem = float(np.median([r['rss_delta_mb'] for r in runs]))
        res[b] = (sec, mem)
    P = 375 * 500
    print(f'    {"backend":<28}{"time":>10}{"peak RSS delta":>18}')
    for b, (sec, mem) in res.items():
        print(f'    {b + (" (lattice)" if b == "torch" else ""):<28}{sec:>9.2f}s{mem:>15.0f} MB')
    if 'pydensecrf' in res:
        print(f'    torch / pydensecrf: time x{res["torch"][0] / res["pydensecrf"][0]:.2f}, '
              f'memory x{res["torch"][1] / max(res["pydensecrf"][1], 1e-9):.2f}')
    print(f'    (an N x N float32 kernel at this size would need {P * P * 4 / 2**30:.0f} GiB)')
    return res


def part_d(reps=3):
    print('\n(d) CRF share of a SEC training step, embedded config (batch 8, 128x128 input, 16x16 logits, '
          '7 classes)')
    try:
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from mmseg.registry import MODELS
        init_default_scope('mmseg')
        import mmwsss.seg  # noqa: F401  (registers SECSegmentor, SECHead, ...)
        cfg = Config.fromfile(osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                                       'configs/sec/sec_r18-d8_1xb8-2k_synthetic-128x128.py'))
        bb = cfg.model.backbone
        if bb.get('type') == 'ResNetV1c' and 'base_channels' in bb:
            # keep the head consistent with the shared small backbone's last stage width
            cfg.model.decode_head.in_channels = bb.base_channels * 8 * (4 if bb.depth >= 50 else 1)
        model = MODELS.build(cfg.model)
        model.train()
        x = torch.randn(8, 3, 128, 128)

        def step():
            out = model._forward(x)  # backbone (+ neck) + decode head, as in training
            out.float().logsumexp(1).mean().backward()
            model.zero_grad(set_to_none=True)
        net_ms = _time(step, reps)
    except Exception as e:  # the SEC model is another part of the project
        print(f'    could not build the SEC network ({type(e).__name__}: {str(e)[:120]}): skipped')
        return {}
    imgs, probs, _ = scene_batch(8, size=16, seed=6)
    probs = probs[:, :7] / probs[:, :7].sum(1, keepdim=True)
    crf_params = {'preset': 'sec_train', 'scale_factor': 8.0}  # 128 px input / 16 px grid
    crf_ms = _time(lambda: dense_crf(probs, imgs, crf_params, 'auto'), reps)
    share = crf_ms / (crf_ms + net_ms)
    print(f'    network forward+backward {net_ms:.1f} ms, CRF (auto backend) {crf_ms:.1f} ms: '
          f'CRF = {100 * share:.1f}% of the step (target < 25%)')
    torch_ms = _time(lambda: dense_crf(probs, imgs, crf_params, 'torch', torch_method='auto'), reps)
    print(f'    without pydensecrf (torch backend, exact at 16x16): CRF {torch_ms:.1f} ms = '
          f'{100 * torch_ms / (torch_ms + net_ms):.1f}% of the step')
    return dict(net_ms=net_ms, crf_ms=crf_ms, share=share, torch_ms=torch_ms)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--parts', default='abcd', help='subset of "abcd"')
    ap.add_argument('--child-fullres', default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_fullres:
        _child_fullres(args.child_fullres)
        return
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, cuda={torch.cuda.is_available()}, '
          f'pydensecrf={pydensecrf_available()}')
    if 'a' in args.parts:
        part_a()
    if 'b' in args.parts:
        part_b()
    if 'c' in args.parts:
        part_c()
    if 'd' in args.parts:
        part_d()


if __name__ == '__main__':
    main()
