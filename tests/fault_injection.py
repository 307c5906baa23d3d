"""Fault injection: kill training and every generation tool with SIGKILL, resume, compare with an uninterrupted run.

Not a pytest module (a few minutes on 2 CPU cores). Run from the repository root::

    python tests/fault_injection.py [--work-dir work_dirs/fault_injection] [--only NAME ...]

On a tiny embedded dataset (64 px images) each case runs its command once uninterrupted (the reference), then
again into a fresh folder, kills the process group with ``SIGKILL`` once it has written part of its output,
re-runs it (``--resume`` for training) and checks that

* training: the final weights and every logged loss after the resume point equal the reference bit for bit
  (dropout and random crop/flip on), for a kill mid-epoch and one at an epoch boundary;
* generation tools: every output file equals the reference byte for byte and no temporary file is left;
* ``torchrun`` (2 CPU workers) killed with ``SIGKILL``: its workers end within 30 s.

Checkpoints of the generation tools' models are random initialisations (saved once, shared by both runs): the
check is about resuming, not about the quality of the outputs. Prints one line per case and
``N passed, N failed``; exits 1 if any case failed.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time
import traceback

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

CONFIGS = dict(
    deeplab='configs/fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py',
    cam='configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py',
    irn='configs/wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py',
    wsscoseg_init='configs/wsscoseg/wsscoseg-init_r18-d8_1xb8-4k_synthetic-web-112x112.py',
    pam='configs/bestie/pam_r18-d8_1xb8-2k_synthetic-112x112.py',
    sec_fg='configs/sec/sec-cues-fg_r18-d8_1xb16-600it_synthetic-128x128.py',
    sec_bg='configs/sec/sec-cues-bg_r18-d8_1xb16-600it_synthetic-128x128.py',
)
ENV = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')


def _cfg(name):
    return osp.join(REPO, CONFIGS[name])


def run(cmd, log, timeout=900):
    with open(log, 'a') as f:
        f.write('$ ' + ' '.join(cmd) + '\n')
        f.flush()
        proc = subprocess.run(cmd, cwd=REPO, env=ENV, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f'exit {proc.returncode}: {" ".join(cmd)} (see {log})')


def run_and_kill(cmd, log, ready, timeout=900) -> bool:
    """Start ``cmd``, SIGKILL its process group once ``ready()``; False if it finished first."""
    with open(log, 'a') as f:
        f.write('$ ' + ' '.join(cmd) + '   # killed with SIGKILL part-way\n')
        f.flush()
        proc = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + timeout
        while proc.poll() is None:
            if ready():
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            if time.time() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                raise TimeoutError(f'{" ".join(cmd)} did not reach the kill point in {timeout}s')
            time.sleep(0.02)
    if proc.returncode != 0:
        raise RuntimeError(f'exit {proc.returncode} before the kill: {" ".join(cmd)} (see {log})')
    return False


def count(folder, suffix):
    return len(glob.glob(osp.join(folder, '*' + suffix))) if osp.isdir(folder) else 0


def compare_dirs(ref, out, suffix):
    """Problems: differing/missing/extra outputs, temporary files."""
    problems = []
    a = sorted(osp.basename(p) for p in glob.glob(osp.join(ref, '*' + suffix)))
    b = sorted(osp.basename(p) for p in glob.glob(osp.join(out, '*' + suffix)))
    if a != b:
        problems.append(f'{len(a)} reference vs {len(b)} resumed {suffix} files')
    for name in set(a) & set(b):
        with open(osp.join(ref, name), 'rb') as f1, open(osp.join(out, name), 'rb') as f2:
            if f1.read() != f2.read():
                problems.append(f'{name} differs')
    tmp = [p for p in os.listdir(out) if p.endswith('.tmp')]
    if tmp:
        problems.append(f'temporary files left: {tmp[:3]}')
    return problems


# ---------------------------------------------------------------------------------------------------- set-up
def make_dataset(root):
    from mmwsss.datasets.synthetic import generate_synthetic_dataset
    if not osp.isfile(osp.join(root, 'meta.json')):
        generate_synthetic_dataset(root, seed=0, image_size=64, num_train=24, num_val=4, num_web_per_class=3,
                                   num_ood=4, verbose=False)
    return root


def random_checkpoint(name, path, scope='mmseg'):
    """A runner-style checkpoint of the config's model with its random initialisation (seed 0).

    ``scope``: ``'mmseg'`` (a segmentor, through ``init_model``), ``'mmseg-model'`` (any mmseg-scope model, e.g.
    the SEC cue classifiers) or ``'mmdet'``.
    """
    import torch
    if osp.isfile(path):
        return path
    torch.manual_seed(0)
    if scope == 'mmseg':
        from mmwsss.apis import init_model
        model = init_model(_cfg(name))
    else:
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        if scope == 'mmdet':
            import mmwsss.det  # noqa: F401
            from mmdet.registry import MODELS
        else:
            import mmwsss.seg  # noqa: F401
            from mmseg.registry import MODELS
        cfg = Config.fromfile(_cfg(name))
        init_default_scope(scope.split('-')[0])
        model = MODELS.build(cfg.model)  # torch's default initialisation (init_weights only logs more)
    torch.save(dict(meta=dict(iter=0), state_dict=model.state_dict()), path)
    return path


def train_config(path, data_root, max_iters, interval):
    """The DeepLabV3 config (ASPP head with dropout) with random crop and flip, batch 2, a few iterations."""
    text = f'''
_base_ = [{_cfg('deeplab')!r}]
crop_size = (48, 48)
train_dataloader = dict(batch_size=2, dataset=dict(data_root={data_root!r}, generate=False,
    pipeline=[dict(type='LoadWSSSImage'), dict(type='LoadWSSSAnnotations'),
              dict(type='RandomCrop', crop_size=crop_size), dict(type='RandomFlip', prob=0.5),
              dict(type='PackWSSSInputs')]))
val_dataloader = dict(dataset=dict(data_root={data_root!r}, generate=False))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval={max_iters})
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end={max_iters}, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval={interval}, max_keep_ckpts=100))
'''
    with open(path, 'w') as f:
        f.write(text)
    return path


def logged_losses(work_dir):
    out = {}
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'loss' in rec and 'iter' in rec:
                    out[rec['iter']] = rec['loss']
    return out


# ---------------------------------------------------------------------------------------------------- cases
def case_train(ctx, kill_after):
    """24 training images, batch 2: 12 iterations per epoch; kill after ``iter_{kill_after}.pth``."""
    import torch
    cfg = train_config(osp.join(ctx['dir'], 'train_cfg.py'), ctx['data'], max_iters=16, interval=2)
    ref = osp.join(ctx['dir'], 'train_ref')
    if not osp.isfile(osp.join(ref, 'iter_16.pth')):
        run([sys.executable, 'tools/train.py', cfg, '--work-dir', ref], ctx['log'])
    work = osp.join(ctx['dir'], f'train_kill{kill_after}')
    shutil.rmtree(work, ignore_errors=True)
    cmd = [sys.executable, 'tools/train.py', cfg, '--work-dir', work]
    if not run_and_kill(cmd, ctx['log'], lambda: osp.isfile(osp.join(work, f'iter_{kill_after}.pth'))):
        return ['training finished before the kill']
    from mmwsss.utils.checkpoint import latest_checkpoint
    resumed_from = int(osp.basename(latest_checkpoint(work))[5:-4])
    run(cmd + ['--resume'], ctx['log'])
    problems = []
    a = torch.load(osp.join(ref, 'iter_16.pth'), weights_only=True)['state_dict']
    b = torch.load(osp.join(work, 'iter_16.pth'), weights_only=True)['state_dict']
    diff = [k for k in a if not torch.equal(a[k], b[k])]
    if diff:
        problems.append(f'{len(diff)} final tensors differ (max |diff| '
                        f'{max((a[k].float() - b[k].float()).abs().max().item() for k in diff):.3g}), e.g. {diff[0]}')
    la, lb = logged_losses(ref), logged_losses(work)
    bad = [i for i in range(resumed_from + 1, 17) if la.get(i) != lb.get(i)]
    if bad:
        problems.append(f'losses differ at iterations {bad[:5]} (e.g. {la.get(bad[0])} vs {lb.get(bad[0])})')
    ctx['notes'].append(f'resumed from iter {resumed_from}')
    return problems


def _children(pid):
    out = []
    for stat in glob.glob('/proc/[0-9]*/stat'):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # ppid
            out.append(int(stat.split('/')[2]))
    return out


def _alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def case_torchrun(ctx):
    """``torchrun`` with 2 CPU workers killed with SIGKILL (only the launcher): the workers must end too."""
    from tests.conftest import free_port
    cfg = train_config(osp.join(ctx['dir'], 'train_cfg_long.py'), ctx['data'], max_iters=400, interval=2)
    work = osp.join(ctx['dir'], 'torchrun')
    shutil.rmtree(work, ignore_errors=True)
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2', f'--master_port={free_port()}',
           'tools/train.py', cfg, '--launcher', 'pytorch', '--work-dir', work]
    with open(ctx['log'], 'a') as f:
        f.write('$ ' + ' '.join(cmd) + '   # the launcher killed with SIGKILL\n')
        f.flush()
        proc = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 600
        while not osp.isfile(osp.join(work, 'iter_2.pth')):
            if proc.poll() is not None:
                return [f'torchrun ended (exit {proc.returncode}) before the kill']
            if time.time() > deadline:
                return ['no checkpoint in 600 s']
            time.sleep(0.1)
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 30
        while any(_alive(w) for w in workers) and time.time() < deadline:
            time.sleep(0.2)
        left = [w for w in workers if _alive(w)]
        ctx['notes'].append(f'{len(workers)} workers, {len(left)} alive 30 s after the kill')
        return [f'workers {left} outlived torchrun'] if left or not workers else []
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def case_tool(ctx, name, cmd_for, out_suffix, min_done=2, parts=None):
    """Reference run into ``<name>_ref``, killed run + re-run into ``<name>_resumed``; compare.

    ``parts`` = (subfolder, suffix): the per-image files to count for the kill, when they are not the compared
    outputs (a tool that assembles its parts into one file).
    """
    sub, part_suffix = parts or ('', out_suffix)
    ref = osp.join(ctx['dir'], f'{name}_ref')
    if count(ref, out_suffix) == 0:
        run(cmd_for(ref), ctx['log'])
    total = count(osp.join(ref, sub), part_suffix)
    out = osp.join(ctx['dir'], f'{name}_resumed')
    shutil.rmtree(out, ignore_errors=True)
    if not run_and_kill(cmd_for(out), ctx['log'], lambda: count(osp.join(out, sub), part_suffix) >= min_done):
        return [f'finished before the kill ({total} files)']
    done = count(osp.join(out, sub), part_suffix)
    run(cmd_for(out), ctx['log'])
    ctx['notes'].append(f'killed at {done}/{total}')
    return compare_dirs(ref, out, out_suffix)


def build_cases(ctx):
    d, data = ctx['dir'], ctx['data']
    py = sys.executable
    cam_ckpt = lambda: random_checkpoint('cam', osp.join(d, 'cam.pth'))  # noqa: E731
    irn_ckpt = lambda: random_checkpoint('irn', osp.join(d, 'irn.pth'))  # noqa: E731
    cams = osp.join(d, 'make_cam_ref')
    return [
        ('train: kill mid-epoch (after iter 4), --resume', lambda: case_train(ctx, 4)),
        ('train: kill at the epoch boundary (after iter 12), --resume', lambda: case_train(ctx, 12)),
        ('torchrun killed with SIGKILL: its workers exit', lambda: case_torchrun(ctx)),
        ('make_cam', lambda: case_tool(ctx, 'make_cam', lambda o: [
            py, 'tools/wood/make_cam.py', _cfg('cam'), cam_ckpt(), '--out-dir', o, '--data-root', data], '.npy')),
        ('cam_to_ir_label', lambda: case_tool(ctx, 'cam_to_ir_label', lambda o: [
            py, 'tools/wood/cam_to_ir_label.py', '--data-root', data, '--cam-dir', cams, '--out-dir', o], '.png')),
        ('make_sem_seg_labels', lambda: case_tool(ctx, 'make_sem_seg_labels', lambda o: [
            py, 'tools/wood/make_sem_seg_labels.py', _cfg('irn'), irn_ckpt(), '--data-root', data,
            '--cam-dir', cams, '--out-dir', o], '.png')),
        ('estimate_masks', lambda: case_tool(ctx, 'estimate_masks', lambda o: [
            py, 'tools/wsscoseg/estimate_masks.py', _cfg('wsscoseg_init'),
            random_checkpoint('wsscoseg_init', osp.join(d, 'wsscoseg_init.pth')), '--data-root', data,
            '--out-dir', o], '.png')),
        ('coseg', lambda: case_tool(ctx, 'coseg', lambda o: [
            py, 'tools/wsscoseg/coseg.py', data, '--out-dir', o], '.png')),
        ('extract_peaks', lambda: case_tool(ctx, 'extract_peaks', lambda o: [
            py, 'tools/bestie/extract_peaks.py', _cfg('pam'),
            random_checkpoint('pam', osp.join(d, 'pam.pth'), scope='mmdet'), '--data-root', data, '--out-dir', o,
            '--device', 'cpu'], '.txt')),
        ('make_cues', lambda: case_tool(ctx, 'make_cues', lambda o: [
            py, 'tools/sec/make_cues.py', data, '--work-dir', o, '--out-dir', o, '--gen-batch-size', '2',
            '--fg-checkpoint', random_checkpoint('sec_fg', osp.join(d, 'sec_fg.pth'), scope='mmseg-model'),
            '--bg-checkpoint', random_checkpoint('sec_bg', osp.join(d, 'sec_bg.pth'), scope='mmseg-model')], '.gz',
            parts=('cue_parts', '.npz'))),
    ]


def main():
    from mmwsss.utils.compat import apply_patches
    apply_patches()  # weights_only loading of runner checkpoints, as the tools do
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'fault_injection'))
    p.add_argument('--only', nargs='+', help='cases whose name starts with one of these')
    args = p.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    ctx = dict(dir=osp.abspath(args.work_dir), log=osp.join(osp.abspath(args.work_dir), 'commands.log'))
    ctx['data'] = make_dataset(osp.join(ctx['dir'], 'data'))
    passed = failed = 0
    for name, fn in build_cases(ctx):
        if args.only and not any(name.startswith(o) for o in args.only):
            continue
        ctx['notes'] = []
        start = time.time()
        try:
            problems = fn()
        except Exception as err:  # a crash of the case is a failure of the case
            problems = [f'{type(err).__name__}: {err}']
            traceback.print_exc(file=open(ctx['log'], 'a'))
        status = 'FAIL' if problems else 'ok'
        passed += not problems
        failed += bool(problems)
        notes = '; '.join(ctx['notes'] + problems)
        print(f'{status:4} {name} ({time.time() - start:.0f}s){": " + notes if notes else ""}', flush=True)
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
