"""What the weak-supervision parts cost: one training step of each method's VOC config next to the plain model.

For every pair, one SGD step (forward, losses, backward, update) at the method's real crop and batch 1 on CPU
(batch 2 for BLPSeg / UPerNet, whose pyramid pooling cannot train batch-norm on one sample),
with randomly initialised weights and synthetic inputs carrying every field the losses read (scribbles, image
labels, SEC cues, BESTIE centre / offset targets):

  BLPSeg-r101 (BLP loss, scribble head, LAM)    vs  UPerNet-r101: the same backbone with mmseg's UPerHead
  SEC (seed / expand / constrain losses, CRF)   vs  DeepLab-LargeFOV: the same VGG-16 with a 1x1 classifier, CE
  wsscoseg final (segmentation + global branch) vs  its segmentation branch alone (``global_branch=None``)
  BESTIE point (semantic + centre + offset)     vs  its HRNet-48 backbone + the semantic branch (mmseg FCNHead)

Each model runs in a fresh process (its peak RSS is its own); the steps of a pair alternate within the run
(method, plain, method, plain, ...) in separate processes started one after the other. Printed: CPU seconds per
step (minimum over the timed steps, after one warm-up step), peak RSS, and the ratios method / plain.

Usage::

    python benchmarks/bench_train_step.py                  # all pairs, 2 timed steps each, 1 thread
    python benchmarks/bench_train_step.py --pairs sec --steps 3 --json out.json
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
from _common import reset_peak_rss, sgd_step, status_kb  # noqa: E402
NUM_CLASSES = 21

PAIRS = dict(
    # batch 2: the pyramid pooling's 1x1 bin has batch-norm, which cannot train on one value per channel
    blpseg=dict(method='BLPSeg-r101', baseline='UPerNet-r101', crop=(384, 384), batch=2,
                config='configs/blpseg/blpseg_r101_2xb5-42k_voc12aug-scribble-384x384.py'),
    sec=dict(method='SEC', baseline='DeepLab-LargeFOV', crop=(321, 321),
             config='configs/sec/sec_vgg16-largefov_1xb15-8k_voc12aug-321x321.py'),
    wsscoseg=dict(method='wsscoseg final', baseline='its segmentation branch', crop=(320, 320),
                  config='configs/wsscoseg/wsscoseg-final_r50-d8_4xb4-28k_voc12aug-320x320.py'),
    bestie=dict(method='BESTIE point', baseline='HRNet-48 + semantic head', crop=(416, 416),
                config='configs/bestie/bestie-point_hrnet48_4xb4-50k_voc12aug-416x416.py'),
)


def _drop_pretrained(cfg_model):
    """No ImageNet download: the cost does not depend on the weights."""
    cfg_model.pop('pretrained', None)
    if isinstance(cfg_model.get('backbone'), dict):
        cfg_model['backbone'].pop('init_cfg', None)
        cfg_model['backbone'].pop('pretrained', None)
    return cfg_model


def _baseline_model(pair: str, model: dict) -> dict:
    """The plain mmseg model with the method's backbone (and decoder where the method has one)."""
    ce = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)
    if pair == 'blpseg':
        head = model['decode_head']
        return dict(type='EncoderDecoder', data_preprocessor=model['data_preprocessor'], backbone=model['backbone'],
                    decode_head=dict(type='UPerHead', in_channels=head['in_channels'], in_index=head['in_index'],
                                     pool_scales=head['pool_scales'], channels=head['channels'], dropout_ratio=0.1,
                                     num_classes=NUM_CLASSES, norm_cfg=head['norm_cfg'], align_corners=False,
                                     loss_decode=ce))
    if pair == 'sec':
        head = model['decode_head']
        return dict(type='EncoderDecoder', data_preprocessor=model['data_preprocessor'], backbone=model['backbone'],
                    decode_head=dict(type='FCNHead', in_channels=head['in_channels'], channels=head['channels'],
                                     num_convs=0, concat_input=False, in_index=-1, dropout_ratio=0.0,
                                     num_classes=NUM_CLASSES, align_corners=True, loss_decode=ce))
    if pair == 'wsscoseg':
        return dict(model, global_branch=None)
    if pair == 'bestie':
        head = model['head']
        backbone = {k: v for k, v in model['backbone'].items() if k != '_scope_'}
        in_channels = head['in_channels'] if isinstance(head['in_channels'], int) else sum(head['in_channels'])
        return dict(type='EncoderDecoder',
                    data_preprocessor=dict(type='SegDataPreProcessor', mean=model['data_preprocessor']['mean'],
                                           std=model['data_preprocessor']['std'], bgr_to_rgb=True, pad_val=0,
                                           seg_pad_val=255, size_divisor=32),
                    backbone=backbone,
                    decode_head=dict(type='FCNHead', in_channels=in_channels, channels=head.get('head_channels', 256),
                                     num_convs=1, kernel_size=3, concat_input=False, in_index=0, dropout_ratio=0.0,
                                     num_classes=NUM_CLASSES, norm_cfg=None, align_corners=False, loss_decode=ce))
    raise KeyError(pair)


def _seg_samples(h, w, with_scribble_classes):
    import numpy as np
    import torch
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    rng = np.random.default_rng(0)
    sem = np.zeros((h, w), np.int64)
    labels = torch.zeros(NUM_CLASSES)
    labels[0] = 1
    for c in (5, 12):
        y, x = rng.integers(0, h - h // 3), rng.integers(0, w - w // 3)
        sem[y:y + h // 3, x:x + w // 3] = c
        labels[c] = 1
    s = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w), img_path='bench.jpg',
                                    flip=False))
    s.gt_sem_seg = PixelData(data=torch.from_numpy(sem)[None])
    scr = torch.full((1, h, w), with_scribble_classes, dtype=torch.long)  # not annotated
    for c in (0, 5, 12):
        ys, xs = np.nonzero(sem == c)
        if len(ys):
            scr[0, ys[::97], xs[::97]] = c
    s.gt_scribble = PixelData(data=scr)
    s.gt_cues = PixelData(data=torch.nn.functional.one_hot(torch.from_numpy(sem), NUM_CLASSES).permute(2, 0, 1))
    s.set_data(dict(gt_img_labels=labels))
    return [s]


def _bestie_samples(h, w):
    import numpy as np
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import PixelData

    from mmwsss.det.datasets.transforms.bestie_targets import generate_pseudo_targets
    sem = np.zeros((h, w), np.uint8)
    sem[20:200, 30:180] = 5
    sem[220:400, 200:380] = 12
    pts = np.array([[100, 110, 4, 1], [290, 310, 11, 1]], np.float32)
    t = generate_pseudo_targets(sem, pts, NUM_CLASSES - 1, [4, 11], sup='point', sigma=6, min_area=50)
    s = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), img_path='bench.jpg'))
    s.gt_sem_seg = PixelData(sem_seg=torch.from_numpy(sem.astype(np.int64))[None])
    s.gt_center = PixelData(data=torch.from_numpy(t['center']))
    s.gt_offset = PixelData(data=torch.from_numpy(t['offset']))
    s.gt_weight = PixelData(data=torch.from_numpy(t['weight']))
    labels = torch.zeros(NUM_CLASSES)
    labels[[0, 5, 12]] = 1
    s.gt_img_labels = labels
    s.gt_points = torch.from_numpy(pts)
    return [s]


def child(pair: str, which: str, steps: int) -> dict:
    """Fresh process: build the model, one warm-up step, ``steps`` timed steps."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    spec = PAIRS[pair]
    cfg = Config.fromfile(osp.join(ROOT, spec['config']))
    model_cfg = _drop_pretrained(cfg.model.to_dict())
    det = pair == 'bestie' and which == 'method'
    if which == 'baseline':
        model_cfg = _drop_pretrained(_baseline_model(pair, model_cfg))
    model_cfg = _sync_bn_to_bn(model_cfg)
    if det:
        init_default_scope('mmdet')
        import mmwsss.det  # noqa: F401
        from mmdet.registry import MODELS
    else:
        init_default_scope('mmseg')
        import mmwsss.seg  # noqa: F401
        from mmseg.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    h, w = spec['crop']
    n = spec.get('batch', 1)
    img = torch.randint(0, 256, (3, h, w), dtype=torch.uint8)

    def step():
        samples = [s for _ in range(n) for s in (_bestie_samples(h, w) if det else _seg_samples(h, w, NUM_CLASSES))]
        return sgd_step(model, opt, dict(inputs=[img.clone() for _ in range(n)], data_samples=samples))

    step()  # warm-up
    rss = status_kb('VmRSS')
    reset_peak_rss()
    wall, cpu = [], []
    for _ in range(steps):
        t, c = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return dict(wall_s=min(wall), cpu_s=min(cpu), peak_mb=max(status_kb('VmHWM'), rss) / 1024,
                params_m=sum(p.numel() for p in model.parameters()) / 1e6)


def _sync_bn_to_bn(obj):
    """SyncBN needs a process group; on one CPU process it is BN (same cost)."""
    if isinstance(obj, dict):
        return {k: ('BN' if k == 'type' and v == 'SyncBN' else _sync_bn_to_bn(v)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_sync_bn_to_bn(v) for v in obj)
    return obj


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--pairs', nargs='+', default=list(PAIRS), choices=list(PAIRS))
    ap.add_argument('--steps', type=int, default=2, help='timed steps per model (after one warm-up step)')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--json', help='also write the figures to this JSON file (benchmarks/run_all.py)')
    ap.add_argument('--child', nargs=2, metavar=('PAIR', 'WHICH'), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        import torch
        torch.set_num_threads(args.threads)
        print(json.dumps(child(args.child[0], args.child[1], args.steps)))
        return
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    print(f'one training step, batch 1, CPU, {args.threads} thread(s), {args.steps} timed steps after a warm-up, '
          f'{os.cpu_count()} cores, load average {" ".join(f"{x:.1f}" for x in os.getloadavg())}')
    print(f'{"method":<18}{"crop":>9}{"CPU s":>8}{"peak MB":>9}   {"plain model":<26}{"CPU s":>8}{"peak MB":>9}'
          f'{"time x":>8}{"memory x":>10}')
    rows = []
    for pair in args.pairs:
        spec = PAIRS[pair]
        res = {}
        for which in ('method', 'baseline'):
            proc = subprocess.run([sys.executable, osp.abspath(__file__), '--child', pair, which, '--steps',
                                   str(args.steps), '--threads', str(args.threads)], capture_output=True, text=True,
                                  env=env, cwd=ROOT)
            if proc.returncode != 0:
                res['error'] = f'{which}: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "?"}'
                print(f'{spec["method"]} ({which}) failed:\n{proc.stderr[-3000:]}', flush=True)
                break
            res[which] = json.loads(proc.stdout.strip().splitlines()[-1])
        crop = f'{spec["crop"][0]}x{spec["crop"][1]}'
        batch = spec.get('batch', 1)
        if 'error' in res:
            rows.append(dict(method=spec['method'], baseline=spec['baseline'], crop=crop, batch=batch, error=res['error']))
            continue
        m, b = res['method'], res['baseline']
        row = dict(method=spec['method'], baseline=spec['baseline'], crop=crop, batch=batch, cpu_s=m['cpu_s'],
                   wall_s=m['wall_s'],
                   peak_mb=m['peak_mb'], base_cpu_s=b['cpu_s'], base_wall_s=b['wall_s'], base_peak_mb=b['peak_mb'],
                   time_ratio=m['cpu_s'] / b['cpu_s'], memory_ratio=m['peak_mb'] / b['peak_mb'],
                   params_m=m['params_m'], base_params_m=b['params_m'])
        rows.append(row)
        print(f'{spec["method"]:<18}{crop + ("" if batch == 1 else f" b{batch}"):>9}{m["cpu_s"]:>8.2f}{m["peak_mb"]:>9.0f}   {spec["baseline"]:<26}'
              f'{b["cpu_s"]:>8.2f}{b["peak_mb"]:>9.0f}{row["time_ratio"]:>7.2f}x{row["memory_ratio"]:>9.2f}x',
              flush=True)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(rows=rows, steps=args.steps, threads=args.threads, load=os.getloadavg()), f, indent=1)


if __name__ == '__main__':
    main()
