"""The IRN stage trains through tools/train.py: its backbone is the CAM classifier's, frozen."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from ..conftest import REPO

ENV = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
IRN = osp.join(REPO, 'configs/wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py')
CAM = osp.join(REPO, 'configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py')


def test_irn_trains_through_train_py_from_the_cam_backbone(tmp_path, tiny_synthetic):
    from mmwsss.apis import init_model
    torch.manual_seed(3)
    cam = init_model(CAM)
    cam_ckpt = str(tmp_path / 'cam.pth')
    torch.save(dict(state_dict=cam.state_dict(), meta=dict()), cam_ckpt)
    ir_labels = osp.join(tiny_synthetic, 'SegmentationClass')  # any {0..C, 255} maps serve as IR labels here
    work = str(tmp_path / 'irn')
    options = ['train_cfg.max_iters=2', 'train_dataloader.batch_size=2', 'param_scheduler.0.end=2',
               f'train_dataloader.dataset.data_root={tiny_synthetic}', 'train_dataloader.dataset.generate=False',
               'default_hooks.checkpoint.interval=2']
    out = subprocess.run([sys.executable, osp.join(REPO, 'tools/wood/train_irn.py'), IRN, '--cam-checkpoint', cam_ckpt,
                          '--ir-label-dir', ir_labels, '--work-dir', work, '--cfg-options'] + options,
                         cwd=str(tmp_path), env=ENV, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    irn = torch.load(osp.join(work, 'iter_2.pth'), map_location='cpu', weights_only=False)['state_dict']
    backbone = {k: v for k, v in cam.state_dict().items() if k.startswith('backbone.')}
    assert backbone and all(torch.equal(irn[k], v) for k, v in backbone.items())  # loaded and frozen
    assert any(k.startswith('edge_') for k in irn)
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.run([sys.executable, osp.join(REPO, 'tools/wood/train_irn.py'), IRN, '--cam-checkpoint',
                        str(tmp_path / 'missing.pth'), '--ir-label-dir', ir_labels, '--work-dir', work],
                       cwd=str(tmp_path), env=ENV, capture_output=True, check=True, timeout=300)
