import io
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from mmwsss.utils import apply_patches, atomic_write
from mmwsss.utils.compat import cpu_dist_cfg

from ..conftest import REPO

apply_patches()


def test_runner_style_checkpoint_loads_with_weights_only():
    from mmengine.logging import HistoryBuffer, MessageHub
    hub = MessageHub.get_instance('mmwsss_test_ckpt')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_info('iter', 7)
    ckpt = {'meta': {'iter': 7, 'seed': np.int64(3), 'dataset_meta': {'classes': ('a', 'b')}},
            'state_dict': {'w': torch.ones(2)},
            'message_hub': hub.state_dict(),
            'extra': [np.float32(1.5), np.arange(3), HistoryBuffer([1.0, 2.0], [1, 1])]}
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    buf.seek(0)
    # the torch>=2.6 default; without the allow-list this raises UnpicklingError
    loaded = torch.load(buf, weights_only=True)
    assert loaded['meta']['seed'] == 3 and loaded['message_hub']['runtime_info']['iter'] == 7
    assert isinstance(loaded['extra'][2], HistoryBuffer)
    assert loaded['message_hub']['log_scalars']['train/loss'].current() == 0.5


def test_unknown_globals_still_rejected():
    class Evil:
        def __reduce__(self):
            return (os.getcwd, ())
    buf = io.BytesIO()
    torch.save({'x': Evil()}, buf)
    buf.seek(0)
    with pytest.raises(Exception, match='Unsupported global|weights_only'):
        torch.load(buf, weights_only=True)


def test_getattr_in_checkpoints_limited_to_history_buffer():
    import pickle

    # a pickle that calls getattr(np.dtype, '__class__') must not load
    payload = (b'\x80\x02c__builtin__\ngetattr\ncnumpy\ndtype\nX\t\x00\x00\x00__class__\x86R.')
    assert pickle.loads(payload) is type(np.dtype)  # plain pickle happily runs it
    buf = io.BytesIO()
    torch.save({'x': 1}, buf)  # a valid archive, then swap in the payload as data.pkl
    import zipfile
    buf.seek(0)
    src = zipfile.ZipFile(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w') as dst:
        for item in src.infolist():
            data = payload if item.filename.endswith('data.pkl') else src.read(item.filename)
            dst.writestr(item, data)
    out.seek(0)
    with pytest.raises(Exception, match='does not allow'):
        torch.load(out, weights_only=True)


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / 'ckpt.pth'
    path.write_bytes(b'old')
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write(b'partial')
            raise RuntimeError('killed')
    assert path.read_bytes() == b'old'
    assert [p.name for p in tmp_path.iterdir()] == ['ckpt.pth']


def test_save_checkpoint_is_atomic(tmp_path, monkeypatch):
    from mmengine.runner import checkpoint as ckpt_mod
    path = tmp_path / 'iter_2.pth'
    ckpt_mod.save_checkpoint({'a': torch.zeros(1)}, str(path))
    assert torch.load(path)['a'].shape == (1, )
    # a failure while serialising leaves no file behind
    monkeypatch.setattr(torch, 'save', lambda *a, **k: (_ for _ in ()).throw(OSError('disk full')))
    with pytest.raises(OSError):
        ckpt_mod.save_checkpoint({'a': 1}, str(tmp_path / 'iter_4.pth'))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['iter_2.pth']


def test_missing_pretrained_file_warns_not_crashes(tmp_path):
    from mmseg.registry import MODELS
    import mmwsss.seg  # noqa: F401
    backbone = MODELS.build(dict(type='ResNetV1c', depth=18, stem_channels=16, base_channels=16,
                                 init_cfg=dict(type='Pretrained',
                                               checkpoint=str(tmp_path / 'resnet.pth'))))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        backbone.init_weights()
    msgs = [str(w.message) for w in caught]
    assert any('resnet.pth' in m and 'random initialisation' in m for m in msgs), msgs


def test_cpu_dist_cfg_replaces_nccl_and_syncbn():
    from mmengine.config import Config
    cfg = Config(dict(model=dict(backbone=dict(norm_cfg=dict(type='SyncBN')),
                                 heads=[dict(norm_cfg=dict(type='SyncBN'))]),
                      env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    cpu_dist_cfg(cfg)
    if torch.cuda.is_available():
        pytest.skip('only changes configs on machines without CUDA')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model.backbone.norm_cfg.type == 'BN' and cfg.model.heads[0].norm_cfg.type == 'BN'
    assert cfg.model_wrapper_cfg.device_ids is None


def test_close_dist_destroys_the_group_and_is_a_noop_without_one(tmp_path):
    import torch.distributed as dist

    from mmwsss.utils.compat import close_dist
    close_dist()  # nothing initialised: no error
    dist.init_process_group('gloo', init_method=f'file://{tmp_path / "store"}', rank=0, world_size=1)
    try:
        assert dist.is_initialized()
        close_dist()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_importing_mmwsss_patches_nothing():
    """The plugin registers components and nothing else; the patches are the tools' opt-in."""
    code = ('import torch, mmwsss.seg, mmwsss.det\n'
            'from mmengine.logging import HistoryBuffer\n'
            'from mmengine.model.weight_init import PretrainedInit\n'
            'from mmengine.runner import checkpoint\n'
            'assert not getattr(PretrainedInit, "_mmwsss_patched", False)\n'
            'assert not hasattr(checkpoint.save_checkpoint, "__wrapped__")\n'
            'assert HistoryBuffer not in torch.serialization.get_safe_globals()\n'
            'from mmwsss.utils import apply_patches\n'
            'apply_patches()\n'
            'assert PretrainedInit._mmwsss_patched and hasattr(checkpoint.save_checkpoint, "__wrapped__")\n'
            'assert HistoryBuffer in torch.serialization.get_safe_globals()\n'
            'print("ok")\n')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip().endswith('ok'), out.stderr[-2000:]
