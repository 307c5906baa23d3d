"""Dense CRF engine benchmark: backend agreement, SEC training-case speed, full-resolution time and memory.

Run:  python benchmarks/bench_crf.py            (all parts, about 2-4 minutes on 2 CPU cores)
      python benchmarks/bench_crf.py --parts a  (agreement only; parts: a, b, c, d)
      python benchmarks/bench_crf.py --json out.json   (also write the figures, for benchmarks/run_all.py)

(a) agreement at SEC's training setting (41x41, 21 classes, scale 12, 10 iterations) of the torch backend
    (lattice and exact) against pydensecrf, on embedded-dataset scenes and on real photographs
    (skimage.data, requirements/benchmarks.txt; skipped without scikit-image), as argmax agreement and
    mean |Q - Q'|;
(b) SEC training case, batch 15, 21 classes, 41x41, 10 iterations: ms per batch of each backend, wall and
    CPU time (CPU time is robust to other jobs on the machine), plus CUDA rows when a GPU is present;
(c) full resolution 500x375, 21 classes, 10 iterations (sec_test preset): time and peak memory (RSS
    high-water delta, measured in a fresh subprocess per backend; CUDA when present);
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
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
warnings.filterwarnings('ignore')

from _common import reset_peak_rss, status_kb  # noqa: E402

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
    """Real photographs from scikit-image's sample data (requirements/benchmarks.txt); [] without it."""
    try:
        import skimage.data as skd
    except ImportError:
        return []
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


def fullres_image() -> np.ndarray:
    """A 500x375 test photograph (skimage's chelsea), or an embedded-dataset scene upsampled to that size."""
    photos = dict(photo_list())
    if 'chelsea' in photos:
        return resize_corner_aligned(photos['chelsea'], 375, 500)
    from mmwsss.datasets.synthetic import render_scene
    img = render_scene(0, 'val', 0, 128)['image']
    big = resize_corner_aligned(img, 375, 500).astype(np.float32)
    big += np.random.default_rng(0).normal(0, 4, big.shape)  # sensor-like noise: no flat colour patches
    return np.clip(big, 0, 255).astype(np.uint8)


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
    sets = [('scenes', imgs, probs)]
    if photo_list():
        pimgs, pprobs, names = photo_batch()
        sets.append(('photographs', pimgs, pprobs))
        print(f'    scenes: 60 x {src}; photographs: {len(names)} from skimage.data ({", ".join(names)})')
    else:
        print(f'    scenes: 60 x {src}; photographs skipped (scikit-image not installed: '
              'pip install -r requirements/benchmarks.txt)')
    print(f'    {"input":<14}{"torch method":<14}{"argmax agree":>14}{"mean |dQ|":>12}{"max |dQ|":>10}')
    for tag, im, pr in sets:
        ref = dense_crf(pr, im, 'sec_train', 'pydensecrf')
        for method in ('lattice', 'exact'):
            q = dense_crf(pr, im, 'sec_train', 'torch', torch_method=method)
            a, m = agreement(ref, q)
            mx = float((ref - q).abs().max())
            res[f'{tag}/{method}'] = (a, m)
            print(f'    {tag:<14}{method:<14}{100 * a:>13.3f}%{m:>12.2e}{mx:>10.2e}')
    # Full-resolution agreement (sec_test preset) on the photographs, lattice only (exact is O(N^2)).
    print('    full resolution (sec_test, 500x375), torch lattice vs pydensecrf:')
    rng = np.random.default_rng(2)
    agr, mad = [], []
    for name, im in (photo_list() or [('rendered scene', fullres_image())])[:3]:
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


def _time_rows(fns, reps):
    """Interleaved timing of several callables: {name: (wall ms, CPU ms)}, the minimum over ``reps`` rounds.

    Rounds alternate the callables so that a change of machine load hits all of them alike; the minimum is the
    least disturbed run. CPU time is this process's (all its threads; child processes are not counted: None).
    """
    for fn, _ in fns.values():
        fn()  # warm-up (allocator, thread pool, process pool start, caches)
    wall = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    for _ in range(reps):
        for name, (fn, own_cpu) in fns.items():
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    return {k: (1000 * min(wall[k]), 1000 * min(cpu[k]) if fns[k][1] else None) for k in fns}


def _print_rows(rows, base):
    b_wall, b_cpu = rows[base]
    print(f'    {"":<40}{"wall ms":>10}{"CPU ms":>10}{"wall / first":>14}{"CPU / first":>13}')
    for name, (w, c) in rows.items():
        cpu = f'{c:>10.1f}' if c is not None else f'{"-":>10}'
        cr = f'{c / b_cpu:>12.2f}x' if c is not None and b_cpu else f'{"-":>13}'
        print(f'    {name:<40}{w:>10.1f}{cpu}{w / b_wall:>13.2f}x{cr}')


def part_b(reps=7):
    print('\n(b) SEC training case: batch 15, 21 classes, 41x41, 10 iterations (ms per batch, minimum of '
          f'{reps} interleaved rounds; {torch.get_num_threads()} torch threads, {os.cpu_count()} cores)')
    from mmwsss.crf.torch_backend import _position_kernel
    imgs, probs, _ = scene_batch(15, seed=5)
    fns = {}
    if pydensecrf_available():
        fns['pydensecrf, image by image'] = (lambda: dense_crf(probs, imgs, 'sec_train', 'pydensecrf'), True)
        w = os.cpu_count() or 1
        fns[f'pydensecrf, {w} processes'] = (
            lambda: dense_crf(probs, imgs, 'sec_train', 'pydensecrf', workers=w), False)

    def cold():
        _position_kernel.cache_clear()
        dense_crf(probs, imgs, 'sec_train', 'torch', torch_method='lattice')

    fns['torch lattice, CPU (training: kernel cached)'] = (
        lambda: dense_crf(probs, imgs, 'sec_train', 'torch', torch_method='lattice'), True)
    fns['torch lattice, CPU, first call'] = (cold, True)
    fns['torch exact, CPU'] = (lambda: dense_crf(probs, imgs, 'sec_train', 'torch', torch_method='exact'), True)
    rows = _time_rows(fns, reps)
    shutdown_pool()
    if torch.cuda.is_available():
        pc, ic = probs.cuda(), torch.from_numpy(imgs).cuda()
        cuda = {}
        for method in ('lattice', 'exact'):
            def run(method=method):
                dense_crf(pc, ic, 'sec_train', 'torch', torch_method=method)
                torch.cuda.synchronize()
            cuda[f'torch {method}, CUDA'] = (run, False)
        rows.update(_time_rows(cuda, reps))
    _print_rows(rows, next(iter(rows)))
    if pydensecrf_available():
        base = rows['pydensecrf, image by image']
        lat = rows['torch lattice, CPU (training: kernel cached)']
        print(f'    torch lattice / pydensecrf: x{lat[1] / base[1]:.2f} CPU time, x{lat[0] / base[0]:.2f} wall '
              '(goal <= 1.5)')
    return rows


def _child_fullres(backend):
    """Runs in a fresh interpreter: time and RSS high-water delta of one 500x375x21 CRF (``torch-cuda``: GPU)."""
    rng = np.random.default_rng(3)
    img = fullres_image()
    probs = torch.from_numpy(probs_from_colours(img, rng))[None]
    image = img[None]
    cuda = backend == 'torch-cuda'
    if cuda:
        probs, image = probs.cuda(), torch.from_numpy(image).cuda()
    name = 'torch' if cuda else backend
    if name == 'torch':  # warm the allocator/thread pool on a small input so it does not count as time
        dense_crf(probs[..., :8, :8] / probs[..., :8, :8].sum(1, keepdim=True), image[:, :8, :8], 'sec_test',
                  'torch')
    before = status_kb('VmRSS')
    reset_ok = reset_peak_rss()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t, c = time.perf_counter(), time.process_time()
    dense_crf(probs, image, 'sec_test', name)
    if cuda:
        torch.cuda.synchronize()
    dt, dc = time.perf_counter() - t, time.process_time() - c
    peak = status_kb('VmHWM') if reset_ok else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    mem = torch.cuda.max_memory_allocated() / 2**20 if cuda else (peak - before) / 1024
    print(json.dumps(dict(seconds=dt, cpu_seconds=dc, rss_delta_mb=mem)))


def part_c(reps=3):
    print('\n(c) full resolution 500x375, 21 classes, 10 iterations, sec_test preset (fresh process per run, '
          f'backends interleaved, minimum of {reps}; memory = peak RSS during the call minus RSS before it, '
          'CUDA: peak allocated)')
    backends = (['pydensecrf'] if pydensecrf_available() else []) + ['torch']
    if torch.cuda.is_available():
        backends.append('torch-cuda')
    runs = {b: [] for b in backends}
    for _ in range(reps):
        for b in backends:
            out = subprocess.run([sys.executable, __file__, '--child-fullres', b], capture_output=True, text=True)
            if out.returncode != 0:
                print(out.stderr[-2000:])
                raise RuntimeError(f'child {b} failed')
            runs[b].append(json.loads(out.stdout.strip().splitlines()[-1]))
    res = {b: (min(r['seconds'] for r in rs), min(r['cpu_seconds'] for r in rs),
               float(np.median([r['rss_delta_mb'] for r in rs]))) for b, rs in runs.items()}
    P = 375 * 500
    print(f'    {"backend":<28}{"wall":>10}{"CPU":>10}{"peak memory":>15}')
    for b, (sec, cpu, mem) in res.items():
        label = {'torch': 'torch lattice, CPU', 'torch-cuda': 'torch lattice, CUDA'}.get(b, b)
        print(f'    {label:<28}{sec:>9.2f}s{cpu:>9.2f}s{mem:>12.0f} MB')
    if 'pydensecrf' in res:
        print(f'    torch / pydensecrf: x{res["torch"][1] / res["pydensecrf"][1]:.2f} CPU time, '
              f'x{res["torch"][0] / res["pydensecrf"][0]:.2f} wall (goal <= 1.5), '
              f'memory x{res["torch"][2] / max(res["pydensecrf"][2], 1e-9):.2f}')
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
    ap.add_argument('--threads', type=int, default=1,
                    help='torch threads (default 1: pydensecrf runs on one core too; 0 keeps torch\'s default)')
    ap.add_argument('--json', help='also write the figures to this JSON file (benchmarks/run_all.py)')
    ap.add_argument('--child-fullres', default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
        os.environ['OMP_NUM_THREADS'] = str(args.threads)  # the fresh processes of part (c)
    if args.child_fullres:
        _child_fullres(args.child_fullres)
        return
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, cuda={torch.cuda.is_available()}, '
          f'pydensecrf={pydensecrf_available()}, {os.cpu_count()} cores, load average '
          f'{" ".join(f"{x:.1f}" for x in os.getloadavg())}')
    results = {}
    for part, fn in (('a', part_a), ('b', part_b), ('c', part_c), ('d', part_d)):
        if part in args.parts:
            results[part] = fn()
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(results, load=os.getloadavg()), f, indent=1, default=str)


if __name__ == '__main__':
    main()
