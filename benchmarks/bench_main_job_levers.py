"""Levers on the main job's wall time, measured as seconds per training iteration of its four entries.

``tools/main_job.py`` trains four small models on the embedded dataset (BESTIE oracle and points for 4k iterations on
88x88 crops in float32, UPerNet and BLPSeg for 2k on 96x96 crops in bfloat16 autocast, their ``-amp`` configs;
batch 8; every backbone at output stride 32), two at a time on 2 cores. This script times one training iteration
(data preprocessor, forward, losses, backward, optimizer update) of each entry's model on real batches of the
embedded dataset, in one process per variant, variants of an entry interleaved, and apart from it the loading of a
batch by the config's dataloader (its pipeline in the training process, ``num_workers=0``), after one pass over the
dataset (so the decoded-file caches of the pipelines are filled, as for all but the first pass of a training):

  config          as the config trains on this CPU (bf16 when its optim_wrapper is CPUAutocastOptimWrapper and the
                  CPU has oneDNN bfloat16 kernels, with its fp32_modules; float32 otherwise, as the wrapper falls
                  back; channels_last when its custom_hooks hold ChannelsLastHook)
  config@112      the same on 112x112 crops, the crop of the float32 configs
  config@d8       the same with the backbone at output stride 8 (dilated layer3/layer4), the shared backbone of the
                  float32 configs
  fp32            float32, NCHW (the configs' own bf16 / channels_last settings are not applied)
  channels_last   model and inputs in NHWC memory format
  bf16            forward under ``torch.autocast('cpu', torch.bfloat16)``
  bf16+cl         both
  native_dw       fp32 with PyTorch's own depthwise-convolution backward instead of ``DepthwiseConv2d``'s (the
                  BESTIE decoder's 5x5 depthwise convs; the other entries have none)
  plain_data      config, with the training pipeline's plain transforms: no decoded-file cache (``cache_mb``),
                  mmcv's ``LoadImageFromFile``, mmseg's ``RandomCrop`` instead of ``WSSSRandomCrop`` (the same samples)

and the thread placement of the side-by-side runs: one iteration with 1 thread vs 2 threads (two 1-thread runs
side by side finish two iterations in the time one 1-thread run takes one when the cores are free; one 2-thread
run must be < 0.5x the 1-thread time to win).

With the ``config`` variant of all four entries, it also projects the main job's training time on 2 free cores:
the entries start in the suite's order (``priority`` first), ``--jobs`` at a time (``tools/main_job.py``'s default,
2) sharing the 2 cores, each needing its config's iterations times its CPU s/iteration with the loading of a batch
(process start-up, checkpoints and the final evaluations come on top).

Usage::

    python benchmarks/bench_main_job_levers.py                       # all entries and variants, 6 timed iterations
    python benchmarks/bench_main_job_levers.py --entries upernet --variants fp32 bf16 --iters 10
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import sgd_step  # noqa: E402

ENTRIES = dict(
    bestie_oracle='configs/bestie/bestie-oracle_r18_1xb8-4k_synthetic-88x88.py',
    bestie_point='configs/bestie/bestie-point_r18_1xb8-4k_synthetic-88x88.py',
    upernet='configs/fully_supervised/upernet_r18_1xb8-amp-2k_synthetic-96x96.py',
    blpseg='configs/blpseg/blpseg_r18_1xb8-amp-2k_synthetic-scribble-96x96.py',
)
VARIANTS = ['config', 'config@112', 'config@d8', 'fp32', 'channels_last', 'bf16', 'bf16+cl', 'native_dw',
            'plain_data', 'fp32-2threads']
# the plain transforms that the training pipelines' faster ones replace (same samples,
# tests/benchmarks/test_main_job_levers.py)
PLAIN_TRANSFORMS = dict(WSSSRandomCrop='RandomCrop', LoadWSSSImage='LoadImageFromFile')


def trains_in_bf16(optim_wrapper: dict, native_bf16: bool) -> bool:
    """Whether a config with this ``optim_wrapper`` trains in bfloat16 autocast on a CPU with (``native_bf16``) or
    without oneDNN bfloat16 kernels (the wrapper's own rule, :func:`~mmwsss.engine.optim_wrappers.
    falls_back_to_float32`)."""
    from mmwsss.engine.optim_wrappers import falls_back_to_float32
    if optim_wrapper.get('type') != 'CPUAutocastOptimWrapper':
        return False
    args = {k: optim_wrapper[k] for k in ('dtype', 'cpu_fallback') if k in optim_wrapper}
    return args.get('dtype', 'bfloat16') == 'bfloat16' and not falls_back_to_float32(**args, native_bf16=native_bf16)


# the shared backbone of the float32 configs: ResNetV1c at output stride 8 (configs/_base_/models/deeplabv3_r18-d8.py)
D8 = dict(strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4))


def apply_variant(cfg, variant: str):
    """The config changes of a ``config@...`` variant, in place: 112x112 crops, or the output-stride-8 backbone."""
    if variant == 'config@112':
        for t in cfg.train_dataloader.dataset.pipeline:
            if 'crop_size' in t:
                t['crop_size'] = (112, 112)
    elif variant == 'config@d8':
        cfg.model.backbone.update(D8)
    elif variant == 'plain_data':
        pipeline = []
        for t in cfg.train_dataloader.dataset.pipeline:
            t = {k: v for k, v in t.items() if k != 'cache_mb'}
            t['type'] = PLAIN_TRANSFORMS.get(t['type'], t['type'])
            pipeline.append(t)
        cfg.train_dataloader.dataset.pipeline = pipeline
    return cfg


def child(entry: str, variant: str, iters: int) -> dict:
    import torch
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from mmwsss.utils.config import load_tool_config
    cfg = load_tool_config(osp.join(ROOT, ENTRIES[entry]), None, '/tmp/mmwsss_levers', 'none')
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    apply_variant(cfg, variant)
    torch.manual_seed(0)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    if cfg.get('default_scope') == 'mmdet':
        import mmwsss.det  # noqa: F401
        from mmdet.registry import MODELS
    else:
        import mmwsss.seg  # noqa: F401
        from mmseg.registry import MODELS
    if variant == 'native_dw':
        import torch.nn as nn

        from mmwsss.models.utils import DepthwiseConv2d
        DepthwiseConv2d.forward = nn.Conv2d.forward
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    cl = variant in ('channels_last', 'bf16+cl')
    bf16 = variant in ('bf16', 'bf16+cl')
    fp32_modules = ()
    if variant.startswith('config'):
        from mmwsss.engine.optim_wrappers import bf16_supported
        bf16 = trains_in_bf16(cfg.optim_wrapper, bf16_supported())
        cl = any(h.get('type') == 'ChannelsLastHook' for h in cfg.get('custom_hooks', []))
        fp32_modules = cfg.optim_wrapper.get('fp32_modules', ())
    if cl:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    context = None
    if bf16 and fp32_modules:  # the config's float32 layers inside the bf16 forward, as its optimizer wrapper runs them
        from mmwsss.engine.optim_wrappers import CPUAutocastOptimWrapper
        wrapper = CPUAutocastOptimWrapper(optimizer=opt, fp32_modules=fp32_modules)
        context = lambda: wrapper.optim_context(model)  # noqa: E731
    batches = iter(loader)
    for _ in range(-(-len(loader.dataset) // loader.batch_size)):
        next(batches)  # one pass over the dataset: the pipelines' decoded-file caches are filled

    def to_cl(data):
        data['inputs'] = data['inputs'].contiguous(memory_format=torch.channels_last)
        return data

    def step(batch):
        return sgd_step(model, opt, batch, autocast_bf16=bf16, prepare=to_cl if cl else None, context=context)

    for _ in range(2):
        step(next(batches))  # warm-up (oneDNN kernels, allocator)
    wall, cpu, data = [], [], []
    for _ in range(iters):
        c = time.process_time()
        batch = next(batches)
        data.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        step(batch)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    for _ in range(4 * iters):  # loading alone varies more than a step: more samples of it
        c = time.process_time()
        next(batches)
        data.append(time.process_time() - c)
    wall.sort()
    cpu.sort()
    data.sort()
    return dict(wall_s=wall[len(wall) // 2], cpu_s=cpu[len(cpu) // 2], wall_min_s=wall[0], cpu_min_s=cpu[0],
                data_cpu_s=data[len(data) // 2],
                threads=torch.get_num_threads(), max_iters=cfg.train_cfg.max_iters, bf16=bf16, channels_last=cl)


def project_main_job(sec_per_iter: dict, iters: dict, jobs: int = 2, cores: int = 2) -> tuple:
    """Training time of the main suite, ``jobs`` runs at a time on ``cores`` cores: (seconds, {entry: (start, end)}).

    Entries start in the order ``tools/main_job.py`` starts them (suite order, ``priority`` first) whenever fewer
    than ``jobs`` run, and need ``iters[entry] * sec_per_iter[entry]`` seconds of one core; the running entries share
    the cores equally (each at most one).
    """
    from mmwsss.comparison.runner import _by_priority, load_suite
    suite = load_suite(osp.join(ROOT, 'configs', 'comparison', 'embedded_main_suite.py'))
    names = {'fully_supervised_upernet': 'upernet'}
    queue = [names.get(e['name'], e['name']) for c in _by_priority([[e] for e in suite]) for e in c]
    now, left, spans = 0.0, {}, {}
    while queue or left:
        while queue and len(left) < jobs:
            entry = queue.pop(0)
            left[entry], spans[entry] = iters[entry] * sec_per_iter[entry], now
        rate = min(1.0, cores / len(left))
        step = min(left.values()) / rate
        now += step
        for entry in list(left):
            left[entry] -= step * rate
            if left[entry] <= 1e-9:
                del left[entry]
                spans[entry] = (spans[entry], now)
    return now, spans


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--entries', nargs='+', default=list(ENTRIES), choices=list(ENTRIES))
    ap.add_argument('--variants', nargs='+', default=VARIANTS, choices=VARIANTS)
    ap.add_argument('--iters', type=int, default=6, help='timed iterations per variant (after 2 warm-up ones)')
    ap.add_argument('--rounds', type=int, default=1, help='interleaved repetitions of the variants of an entry')
    ap.add_argument('--jobs', type=int, default=2, help='runs side by side in the projection (tools/main_job.py)')
    ap.add_argument('--json', help='also write the figures to this JSON file')
    ap.add_argument('--child', nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.iters)))
        return
    from mmwsss.engine.optim_wrappers import bf16_supported
    print(f'main-job entries: s/iteration (median of {args.iters} after 2 warm-up), batch 8, the configs\' crops; '
          f'{os.cpu_count()} cores, oneDNN bfloat16 kernels: {"yes" if bf16_supported() else "no"}, load average '
          f'{" ".join(f"{x:.1f}" for x in os.getloadavg())}')
    res = {}
    for entry in args.entries:
        runs = {v: [] for v in args.variants}
        for _ in range(args.rounds):
            for v in args.variants:
                threads = '2' if v == 'fp32-2threads' else '1'
                env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads,
                           PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
                proc = subprocess.run([sys.executable, osp.abspath(__file__), '--child', entry, v, '--iters',
                                       str(args.iters)], capture_output=True, text=True, env=env, cwd=ROOT)
                if proc.returncode != 0:
                    print(f'{entry} {v} failed:\n{proc.stderr[-2000:]}')
                    continue
                runs[v].append(json.loads(proc.stdout.strip().splitlines()[-1]))
        res[entry] = {v: dict(cpu_s=min(r['cpu_s'] for r in rs), wall_s=min(r['wall_s'] for r in rs),
                              data_cpu_s=min(r['data_cpu_s'] for r in rs), max_iters=rs[0]['max_iters'])
                      for v, rs in runs.items() if rs}
        base = res[entry].get('fp32')
        line = f'{entry:<15}'
        for v, r in res[entry].items():
            rel = f' ({r["wall_s"] / base["wall_s"]:.2f}x wall, {r["cpu_s"] / base["cpu_s"]:.2f}x CPU)' if base else ''
            line += f'  {v}: {r["wall_s"]:.3f} s{rel} + data {r["data_cpu_s"] * 1000:.1f} ms'
        print(line, flush=True)
    if all('config' in res.get(e, {}) for e in ENTRIES):
        sec_per_iter = {e: res[e]['config']['cpu_s'] + res[e]['config']['data_cpu_s'] for e in ENTRIES}
        total, spans = project_main_job(sec_per_iter, {e: res[e]['config']['max_iters'] for e in ENTRIES},
                                        jobs=args.jobs)
        print(f'main job, projected training time on 2 free cores, {args.jobs} runs at a time (config variant, CPU '
              's/iteration with the loading of its batch x iterations): '
              f'{total / 60:.1f} min; ' + ', '.join(f'{e} {a / 60:.1f}-{b / 60:.1f}' for e, (a, b) in spans.items()))
        res['projection'] = dict(minutes=total / 60, spans=spans)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(results=res, iters=args.iters, load=os.getloadavg()), f, indent=1)


if __name__ == '__main__':
    main()
