"""Offline pseudo-label stages at PASCAL VOC image size: seconds per image, peak memory, projected totals.

Each stage runs with its VOC config (randomly initialised weights: the cost does not depend on the values) on
a few VOC-sized images (500x375, embedded-dataset scenes upscaled with sensor-like noise, made by this script),
in a fresh process of its own so that its peak memory can be read cleanly:

  cam              CAM generation, 4 scales x flip (configs/wood/cam_r50-d16_1xb16-5e_voc12aug-512x512.py)
  irn_seeds        IRN confident-region labels: two dense CRFs per image (fg / bg thresholds, 'irn' preset)
  irn_rw           IRN boundary inference + random walk (configs/wood/irn_r50-d16_1xb32-3e_voc12aug-512x512.py)
  sec_cues         SEC cue generation: VGG-16 CAM + gradient saliency at 321x321 (tools/sec/make_cues.py, 'voc')
  mask_estimation  wsscoseg mask estimation, 3 scales (configs/wsscoseg/wsscoseg-init_r50-d8_4xb4-8k_web-320x320.py)
  bestie_peaks     BESTIE peak extraction, PAM CAMs of the image and its flip
                   (configs/bestie/pam_vgg16-d8_2xb5-15e_voc12aug-321x321.py)
  crf_test         test-time dense CRF, 'sec_test' preset, 21 classes (the default backend: pydensecrf when
                   installed, else torch; crf_test_torch forces the torch lattice)

Printed per stage: seconds per image (wall and CPU of the process, mean over the images after one warm-up
image), peak RSS of the process (model included) and its increase over the RSS after set-up, and the projected
time for VOC train_aug (10,582 images) and COCO train (82,081 images, at VOC image size) on this machine with
one process (from the CPU time, which on a shared machine is the wall time the stage would take alone). Goal: every stage's peak <= 4 GB at VOC size.

Usage::

    python benchmarks/bench_offline_voc.py                       # all stages, 3 images each, 1 thread
    python benchmarks/bench_offline_voc.py --stages cam irn_rw --images 5 --threads 2 --json out.json
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import reset_peak_rss, status_kb  # noqa: E402

VOC_TRAIN_AUG = 10582
COCO_TRAIN = 82081
NUM_CLASSES = 21
CONFIGS = dict(
    cam='configs/wood/cam_r50-d16_1xb16-5e_voc12aug-512x512.py',
    irn='configs/wood/irn_r50-d16_1xb32-3e_voc12aug-512x512.py',
    wsscoseg='configs/wsscoseg/wsscoseg-init_r50-d8_4xb4-8k_web-320x320.py',
    pam='configs/bestie/pam_vgg16-d8_2xb5-15e_voc12aug-321x321.py',
)
STAGES = ['cam', 'irn_seeds', 'irn_rw', 'sec_cues', 'mask_estimation', 'bestie_peaks', 'crf_test', 'crf_test_torch']


# ------------------------------------------------------------------------------------------------------ inputs
def voc_sized_images(n: int, height: int = 375, width: int = 500, seed: int = 0):
    """``n`` (H, W, 3) uint8 RGB images and their 0-based foreground classes (1-3 of 20, random)."""
    import torch
    import torch.nn.functional as F

    from mmwsss.datasets.synthetic import render_scene
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        img = render_scene(seed, 'val', i, 128)['image']
        t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
        big = F.interpolate(t, size=(height, width), mode='bilinear', align_corners=False)[0].permute(1, 2, 0).numpy()
        big = np.clip(big + rng.normal(0, 4, big.shape), 0, 255).astype(np.uint8)
        keys = sorted(rng.choice(NUM_CLASSES - 1, size=int(rng.integers(1, 4)), replace=False).tolist())
        out.append((big, keys))
    return out


def smooth_maps(k: int, h: int, w: int, rng) -> np.ndarray:
    """(k, h, w) float32 maps in [0, 1] with a few smooth blobs (CAM-like)."""
    yy, xx = np.mgrid[:h, :w]
    maps = np.zeros((k, h, w), np.float32)
    for c in range(k):
        for _ in range(2):
            cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(min(h, w) / 8, min(h, w) / 3)
            maps[c] += np.exp(-((yy - cy)**2 + (xx - cx)**2) / (2 * r * r))
        maps[c] /= maps[c].max()
    return maps


# ------------------------------------------------------------------------------------------------------ stages
def _seg_model(key):
    from mmwsss.apis.inference import init_model
    return init_model(osp.join(ROOT, CONFIGS[key]), None)


def setup_cam(images, tmp):
    from mmwsss.stages.cam import compute_cam
    model = _seg_model('cam')
    # IRN's / W-OoD's make_cam scales and flip
    return lambda img, keys: compute_cam(model, img, keys, scales=(1.0, 0.5, 1.5, 2.0), flip=True)


def setup_irn_seeds(images, tmp):
    from mmwsss.stages.irn import cams_to_ir_label
    rng = np.random.default_rng(1)
    cams = [smooth_maps(len(k), *img.shape[:2], rng) for img, k in images]
    it = iter(range(len(images)))
    return lambda img, keys: cams_to_ir_label(cams[next(it)], np.asarray(keys), img)


def setup_irn_rw(images, tmp):
    from mmwsss.stages.irn import sem_seg_label
    model = _seg_model('irn')
    rng = np.random.default_rng(2)
    cams = [smooth_maps(len(k), (img.shape[0] - 1) // 4 + 1, (img.shape[1] - 1) // 4 + 1, rng) for img, k in images]
    it = iter(range(len(images)))
    return lambda img, keys: sem_seg_label(model, img, keys, cams[next(it)])


def setup_sec_cues(images, tmp):
    import importlib.util

    import cv2
    import torch

    import mmwsss.seg  # noqa: F401  (registers VGG16LargeFOV, CAMClassifier)
    from mmseg.registry import MODELS
    from mmwsss.stages.sec_cues import ImageLabelSet, generate_sec_cues
    spec = importlib.util.spec_from_file_location('make_cues', osp.join(ROOT, 'tools', 'sec', 'make_cues.py'))
    make_cues = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_cues)
    fg_cfg, bg_cfg, cfg, _ = make_cues.cue_models(make_cues.PRESETS['voc'], NUM_CLASSES)  # cfg: the data settings
    cam_model = MODELS.build(fg_cfg).eval()
    sal_model = MODELS.build(bg_cfg).eval()
    paths = []
    for i, (img, _) in enumerate(images):
        paths.append(osp.join(tmp, f'{i}.jpg'))
        cv2.imwrite(paths[-1], img[..., ::-1])
    it = iter(range(len(images)))

    def run(img, keys):
        i = next(it)
        ds = ImageLabelSet([paths[i]], [keys], num_fg=NUM_CLASSES - 1, size=(cfg['size'], cfg['size']),
                           mean=cfg['mean'], std=cfg['std'], to_rgb=cfg['to_rgb'], flip=False)
        with torch.enable_grad():  # the saliency is a gradient
            return generate_sec_cues(cam_model, sal_model, ds, [str(i)], progress=False, batch_size=1)

    return run


def setup_mask_estimation(images, tmp):
    from mmwsss.stages.mask_estimation import estimate_mask, estimate_probs
    model = _seg_model('wsscoseg')
    return lambda img, keys: estimate_mask(estimate_probs(model, img, (0.7, 1.0, 1.3)), keys)


def setup_bestie_peaks(images, tmp):
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmwsss.det  # noqa: F401  (registration)
    from mmdet.registry import MODELS
    from mmwsss.det.stages.peaks import image_peaks
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS['pam']))
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model).eval()
    pc = dict(cfg.get('peak_cfg', {}))

    def run(img, keys):
        with torch.no_grad():
            return image_peaks(model, np.ascontiguousarray(img[..., ::-1]), keys, tuple(pc.get('input_size', (321, 321))),
                               pc.get('kernel', 15), pc.get('topk', 25), pc.get('conf_thresh', 0.1))

    return run


def _setup_crf(backend):
    def setup(images, tmp):
        from mmwsss.crf import crf_postprocess
        rng = np.random.default_rng(3)
        probs = []
        for img, keys in images:
            logits = np.full((NUM_CLASSES, *img.shape[:2]), -3.0, np.float32)
            logits[[0] + [k + 1 for k in keys]] = 4 * smooth_maps(len(keys) + 1, *img.shape[:2], rng)
            logits += rng.normal(0, 0.5, logits.shape).astype(np.float32)
            e = np.exp(logits - logits.max(0))
            probs.append(e / e.sum(0))
        it = iter(range(len(images)))
        return lambda img, keys: crf_postprocess(probs[next(it)], img, 'sec_test', backend)

    return setup


SETUPS = dict(cam=setup_cam, irn_seeds=setup_irn_seeds, irn_rw=setup_irn_rw, sec_cues=setup_sec_cues,
              mask_estimation=setup_mask_estimation, bestie_peaks=setup_bestie_peaks, crf_test=_setup_crf('auto'),
              crf_test_torch=_setup_crf('torch'))


# ------------------------------------------------------------------------------------------------ measurement
def child(stage: str, n: int) -> dict:
    """Runs in a fresh process: set-up, one warm-up image, then ``n`` timed images."""
    import torch
    images = voc_sized_images(n + 1)
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        t0 = time.perf_counter()
        run = SETUPS[stage](images, tmp)
        setup_s = time.perf_counter() - t0
        run(*images[0])  # warm-up (allocator, thread pool, lazy inits)
        base = status_kb('VmRSS')
        reset_peak_rss()  # the peak below is that of the timed images
        wall, cpu = [], []
        for img, keys in images[1:]:
            t, c = time.perf_counter(), time.process_time()
            run(img, keys)
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        peak = max(status_kb('VmHWM'), base)
    return dict(stage=stage, images=n, setup_s=setup_s, s_per_image=float(np.mean(wall)),
                cpu_s_per_image=float(np.mean(cpu)), peak_rss_mb=peak / 1024, rss_increase_mb=(peak - base) / 1024,
                threads=torch.get_num_threads())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--stages', nargs='+', default=STAGES, choices=STAGES)
    ap.add_argument('--images', type=int, default=3, help='timed images per stage (after one warm-up image)')
    ap.add_argument('--threads', type=int, default=1, help='torch threads of each stage process')
    ap.add_argument('--json', help='also write the figures to this JSON file (benchmarks/run_all.py)')
    ap.add_argument('--child', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        import torch
        torch.set_num_threads(args.threads)
        print(json.dumps(child(args.child, args.images)))
        return
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    print(f'offline stages at VOC size (500x375, 21 classes), {args.images} images per stage after one warm-up, '
          f'{args.threads} thread(s), {os.cpu_count()} cores, load average '
          f'{" ".join(f"{x:.1f}" for x in os.getloadavg())}; randomly initialised weights')
    head = (f'{"stage":<17}{"s/image":>9}{"CPU s/img":>10}{"peak RSS":>10}{"increase":>10}'
            f'{"VOC train_aug":>15}{"COCO train":>12}')
    print(head)
    rows = []
    for stage in args.stages:
        proc = subprocess.run([sys.executable, osp.abspath(__file__), '--child', stage, '--images', str(args.images),
                               '--threads', str(args.threads)], capture_output=True, text=True, env=env, cwd=ROOT)
        if proc.returncode != 0:
            print(f'{stage:<17} failed:\n{proc.stderr[-3000:]}')
            rows.append(dict(stage=stage, error=proc.stderr[-500:]))
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        # projected from the CPU time: with one thread it is the wall time of a machine that runs nothing else
        r['voc_train_aug_h'] = r['cpu_s_per_image'] * VOC_TRAIN_AUG / 3600
        r['coco_train_h'] = r['cpu_s_per_image'] * COCO_TRAIN / 3600
        r['under_4gb'] = r['peak_rss_mb'] <= 4096
        rows.append(r)
        print(f'{stage:<17}{r["s_per_image"]:>9.2f}{r["cpu_s_per_image"]:>10.2f}{r["peak_rss_mb"]:>8.0f}MB'
              f'{r["rss_increase_mb"]:>8.0f}MB{r["voc_train_aug_h"]:>14.1f}h{r["coco_train_h"]:>11.1f}h', flush=True)
    ok = [r for r in rows if 'error' not in r]
    over = [r['stage'] for r in ok if not r['under_4gb']]
    print(f'goal: every peak <= 4 GB: {"met" if not over and len(ok) == len(rows) else "NOT met: " + str(over)}')
    print('projections: CPU s/image x images, one process with this thread count on this machine when it runs '
          'nothing else (COCO at VOC image size)')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(rows=rows, images=args.images, threads=args.threads, load=os.getloadavg()), f, indent=1)


if __name__ == '__main__':
    main()
