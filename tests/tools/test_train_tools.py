"""End-to-end tool tests: train, kill and resume, distributed CPU training, test with --tta."""
import glob
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from ..conftest import REPO, free_port, write_tiny_config

ENV = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')


def _run(args, cwd, timeout=300):
    proc = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_killed_run_resumes_from_last_checkpoint(tmp_path, tiny_synthetic):
    cfg = write_tiny_config(tmp_path / 'cfg.py', tiny_synthetic, max_iters=30, ckpt_interval=3)
    work = str(tmp_path / 'work')
    cmd = [sys.executable, osp.join(REPO, 'tools/train.py'), cfg, '--work-dir', work]
    proc = subprocess.Popen(cmd, cwd=str(tmp_path), env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    while not osp.exists(osp.join(work, 'iter_6.pth')):
        assert proc.poll() is None, 'training ended before it could be killed'
        assert time.time() < deadline, 'no checkpoint written'
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    saved = sorted(int(osp.basename(p)[5:-4]) for p in glob.glob(osp.join(work, 'iter_*.pth')))
    assert saved and saved[-1] < 30
    last = saved[-1]
    out = _run(cmd + ['--resume'], cwd=str(tmp_path))
    assert f'resumed epoch: 0, iter: {last}' in out
    ckpt = torch.load(osp.join(work, 'iter_30.pth'), weights_only=True)
    assert ckpt['meta']['iter'] == 30
    # the resumed run logged only the iterations after the last checkpoint
    assert f'Iter(train) [{last + 1:>2}/30]' in out
    assert f'Iter(train) [{last:>2}/30]' not in out


def test_dist_train_two_cpu_processes_then_test_tta(tmp_path, tiny_synthetic):
    if torch.cuda.is_available():
        pytest.skip('checks the CPU/gloo path')
    cfg = write_tiny_config(tmp_path / 'cfg.py', tiny_synthetic, max_iters=4, ckpt_interval=4)
    work = str(tmp_path / 'work')
    env_port = dict(PORT=str(free_port()))
    ENV.update(env_port)
    out = _run(['bash', osp.join(REPO, 'tools/dist_train.sh'), cfg, '2', '--work-dir', work],
               cwd=str(tmp_path))
    assert 'Distributed training: True' in out
    assert "'backend': 'gloo'" in out or 'gloo' in out
    # each of the 2 ranks takes batch 2: the sampler splits the 16 training images over 2 processes
    assert 'Iter(train) [4/4]' in out
    ckpt = osp.join(work, 'iter_4.pth')
    assert osp.isfile(ckpt)
    out = _run([sys.executable, osp.join(REPO, 'tools/test.py'), cfg, ckpt, '--tta',
                '--work-dir', str(tmp_path / 'test'), '--metrics-out', str(tmp_path / 'tta.json')],
               cwd=str(tmp_path))
    assert 'mIoU' in out
    # dense-CRF post-processing after TTA, predictions written as PNG label maps
    pred_dir = tmp_path / 'pred'
    _run([sys.executable, osp.join(REPO, 'tools/test.py'), cfg, ckpt, '--tta', '--crf', 'sec_test',
          '--out', str(pred_dir), '--work-dir', str(tmp_path / 'test'),
          '--metrics-out', str(tmp_path / 'crf.json')], cwd=str(tmp_path))
    tta = json.load(open(tmp_path / 'tta.json'))
    crf = json.load(open(tmp_path / 'crf.json'))
    assert 0 <= crf['mIoU'] <= 100 and 0 <= tta['mIoU'] <= 100
    # the CRF refines the trained model's output: the checkpoint really reached the wrapped segmentor
    assert crf['aAcc'] > tta['aAcc'] - 10, (crf, tta)
    val_ids = open(osp.join(tiny_synthetic, 'ImageSets/Segmentation/val.txt')).read().split()
    assert sorted(p.name for p in pred_dir.iterdir()) == sorted(i + '.png' for i in val_ids)


def test_pam_with_ood_negatives_trains_and_extracts_peaks(tmp_path, tiny_synthetic):
    # the OoD PAM config trains on a ConcatDataset (train split + OoD images); extract_peaks finds the data
    # root through it and writes one point file per train image
    cfg = osp.join(REPO, 'configs/bestie/pam-ood_r18-d8_1xb8-2k_synthetic-112x112.py')
    work, peaks = str(tmp_path / 'pam'), str(tmp_path / 'peaks')
    env = dict(ENV, MMWSSS_DATA_ROOT=tiny_synthetic)
    for cmd in ([osp.join(REPO, 'tools/train.py'), cfg, '--work-dir', work, '--cfg-options',
                 'train_dataloader.batch_size=4', 'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
                 'default_hooks.logger.interval=1'],
                [osp.join(REPO, 'tools/bestie/extract_peaks.py'), cfg, osp.join(work, 'iter_2.pth'), '--out-dir',
                 peaks]):
        proc = subprocess.run([sys.executable] + cmd, cwd=str(tmp_path), env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'wrote 16 point files' in proc.stdout
    assert len(glob.glob(osp.join(peaks, '*.txt'))) == 16
    assert json.load(open(osp.join(peaks, 'peaks_done.json')))['files'] == 16

    def extract(ckpt, *extra):
        return subprocess.run([sys.executable, osp.join(REPO, 'tools/bestie/extract_peaks.py'), cfg, ckpt,
                               '--out-dir', peaks] + list(extra), cwd=str(tmp_path), env=env, capture_output=True,
                              text=True, timeout=300)

    # a killed run resumes: a lost file is recomputed, the finished ones are kept
    os.remove(sorted(glob.glob(osp.join(peaks, '*.txt')))[0])
    proc = extract(osp.join(work, 'iter_2.pth'))
    assert proc.returncode == 0 and 'wrote 1 point files' in proc.stdout and '15 already existed' in proc.stdout
    # peaks of another PAM checkpoint are refused, not silently kept; --no-resume replaces them
    other = osp.join(work, 'retrained.pth')
    shutil.copy(osp.join(work, 'iter_2.pth'), other)
    proc = extract(other)
    assert proc.returncode != 0 and 'holds outputs of another run' in proc.stderr, proc.stderr[-2000:]
    assert osp.isfile(osp.join(peaks, 'peaks_done.json'))  # a refused run leaves the folder as it was
    proc = extract(other, '--no-resume')
    assert proc.returncode == 0 and 'wrote 16 point files' in proc.stdout, proc.stderr[-2000:]
    assert osp.isfile(osp.join(peaks, 'peaks_done.json'))
    # a folder of unstamped point files (made before the stamp existed) is refused too
    os.remove(osp.join(peaks, '.run_stamp.json'))
    proc = extract(other)
    assert proc.returncode != 0 and 'without a .run_stamp.json' in proc.stderr, proc.stderr[-2000:]
    from mmdet.registry import DATASETS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import mmwsss.det  # noqa: F401
    init_default_scope('mmdet')
    c = Config.fromfile(cfg)
    for d in c.train_dataloader.dataset.datasets:
        d.data_root = tiny_synthetic
    mix = DATASETS.build(c.train_dataloader.dataset)
    assert len(mix) == 20  # 16 train images + 4 OoD images
    labels = [mix[i]['data_samples'].gt_img_labels for i in (0, 19)]
    assert labels[0][1:].sum() >= 1 and labels[1].tolist() == [1, 0, 0, 0, 0, 0, 0]
