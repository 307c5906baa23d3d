"""Benchmark: BLPSeg LAM, linear-memory version vs the dense N x N reference.

Setting of the issue: 96 x 96 grid (384 crop / stride 4), batch 2, 21 classes, 256-d patch embedding,
forward + backward of the whole module (patch embedding of the 384 x 384 image + aggregation), as in
training: ``LocalAggregationModule(impl='dense')`` against the default ``impl='linear'`` (fused attention
on the exact rank-49 factored embedding) and, with ``--sdpa``, ``impl='attention'`` (fused attention on the
256-d embedding), all with the same weights. Each implementation runs in its own fresh subprocess so that its extra peak
memory can be read cleanly (CPU: peak RSS minus the RSS after the inputs were built; CUDA:
``torch.cuda.max_memory_allocated`` minus the memory held by the inputs). Both are measured in one
run of this script and printed as ratios, together with the largest difference of the outputs and
of the input gradients.

Usage::

    python benchmarks/bench_lam.py                 # 96x96, batch 2, 3 timed repeats
    python benchmarks/bench_lam.py --grid 48 --repeats 5 --device cuda
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time


def _rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


IMPLS = dict(dense='dense', linear='linear', sdpa='attention')


def _build_lam(args, torch):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, root)
    from mmwsss.models.necks.lam import LocalAggregationModule
    torch.manual_seed(0)  # same weights for every implementation
    lam = LocalAggregationModule(embed_dims=args.dims, sigma=args.sigma, impl=IMPLS[args.impl])
    with torch.no_grad():
        # At the kaiming init |f|^2 ~ 2 D: the softmax is one-hot and every gradient of the embedding is
        # rounding noise. A smaller output layer (|f|^2 ~ 5) gives gradients worth comparing; the cost
        # does not depend on the values.
        lam.embed.out.weight.mul_(args.embed_scale)
    return lam.to(args.device)


def _inputs(args, torch):
    g = torch.Generator().manual_seed(0)
    n, c, h = args.batch, args.classes, args.grid
    logits = torch.randn(n, c, h, h, generator=g)
    img = torch.randn(n, 3, 4 * h, 4 * h, generator=g)  # normalised image, 4x the grid (stride-4 logits)
    target = torch.randn(n, c, h, h, generator=g)
    dev = torch.device(args.device)
    return logits.to(dev).requires_grad_(), img.to(dev), target.to(dev)


def _step(lam, logits, img, target):
    logits.grad = None
    lam.zero_grad(set_to_none=True)
    out = lam(logits, img)
    (out * target).sum().backward()
    return out


def worker(args) -> None:
    """Run one implementation; print a JSON line with memory, time, outputs saved to a file."""
    import torch
    torch.set_num_threads(args.threads or torch.get_num_threads())
    lam = _build_lam(args, torch)
    logits, img, target = _inputs(args, torch)
    cuda = args.device.startswith('cuda')
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = _rss_bytes()
    out = _step(lam, logits, img, target)
    if cuda:
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    extra = peak - base
    torch.save(dict(out=out.detach().cpu(), g_logits=logits.grad.cpu(),
                    g_embed=lam.embed.proj.weight.grad.cpu()), args.dump)
    times, cpu_times = [], []
    for _ in range(args.repeats):
        if cuda:
            torch.cuda.synchronize()
        t0, c0 = time.perf_counter(), time.process_time()
        _step(lam, logits, img, target)
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    print(json.dumps(dict(impl=args.impl, extra_bytes=extra, times=times, cpu_times=cpu_times)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--grid', type=int, default=96, help='grid side (384 crop / stride 4 = 96)')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--classes', type=int, default=21)
    parser.add_argument('--dims', type=int, default=256)
    parser.add_argument('--sigma', type=float, default=6.0)
    parser.add_argument('--embed-scale', type=float, default=0.1, help='factor on the 1x1 output conv of the embedding')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=0)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--sdpa', action='store_true',
                        help='on CPU also time plain fused attention (lam_attention), for information')
    parser.add_argument('--json', help='also write the figures to this JSON file (benchmarks/run_all.py)')
    parser.add_argument('--impl', choices=['dense', 'linear', 'sdpa'], help=argparse.SUPPRESS)
    parser.add_argument('--dump', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.impl:
        worker(args)
        return

    import tempfile

    import torch
    res = {}
    impls = ('dense', 'linear') + (('sdpa', ) if args.sdpa and not args.device.startswith('cuda') else ())
    with tempfile.TemporaryDirectory() as tmp:
        for impl in impls:
            dump = os.path.join(tmp, impl + '.pt')
            cmd = [sys.executable, os.path.abspath(__file__), '--impl', impl, '--dump', dump]
            for k in ('grid', 'batch', 'classes', 'dims', 'sigma', 'repeats', 'threads', 'device', 'embed_scale'):
                cmd += [f'--{k.replace("_", "-")}', str(getattr(args, k))]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f'{impl} worker failed:\n{proc.stderr}')
            res[impl] = json.loads(proc.stdout.strip().splitlines()[-1])
            res[impl]['dump'] = torch.load(dump)
    d = res['dense']
    mib = 2 ** 20
    print(f'LAM fwd+bwd, grid {args.grid}x{args.grid} (N={args.grid ** 2}), batch {args.batch}, '
          f'C={args.classes}, D={args.dims}, device {args.device}, threads {torch.get_num_threads()}')
    names = dict(dense='dense reference', linear='linear (factored)', sdpa='fused SDPA, 256-d')
    for impl in impls:
        r = res[impl]
        print(f'  {names[impl]:20s}: extra peak {r["extra_bytes"] / mib:9.1f} MiB   '
              f'time {min(r["times"]):7.3f} s, CPU {min(r["cpu_times"]):7.3f} s (min of {args.repeats})')
    summary = dict(grid=args.grid, batch=args.batch, device=args.device, threads=torch.get_num_threads(),
                   load=os.getloadavg())
    for impl in impls[1:]:
        a = res[impl]
        diffs = {k: (d['dump'][k] - a['dump'][k]).abs().max().item() for k in ('out', 'g_logits', 'g_embed')}
        rel_embed = diffs['g_embed'] / max(d['dump']['g_embed'].abs().max().item(), 1e-30)
        mem_ratio = d["extra_bytes"] / max(a["extra_bytes"], 1)
        speed_ratio = min(d["times"]) / min(a["times"])
        cpu_ratio = min(d["cpu_times"]) / min(a["cpu_times"])
        print(f'  {impl}: memory ratio dense/{impl} {mem_ratio:.1f}x, '
              f'speed ratio dense/{impl} {speed_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU time, max |diff| output '
              f'{diffs["out"]:.2e}, grad logits {diffs["g_logits"]:.2e}, grad patch-embedding weight '
              f'{diffs["g_embed"]:.2e} ({rel_embed:.1e} of its max)')
        summary[impl] = dict(memory_ratio=mem_ratio, speed_ratio=speed_ratio, cpu_speed_ratio=cpu_ratio,
                             max_out_diff=diffs['out'],
                             extra_mib=a['extra_bytes'] / mib, seconds=min(a['times']))
    summary['dense'] = dict(extra_mib=d['extra_bytes'] / mib, seconds=min(d['times']))
    print('  goals: memory ratio >= 20x, speed ratio >= 5x (CPU), output diff < 1e-4')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(summary, f, indent=1)


if __name__ == '__main__':
    main()
