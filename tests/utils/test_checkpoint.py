"""Strict checkpoint loading: a checkpoint of another model is an error naming the file and the first keys."""
import os.path as osp

import pytest
import torch
from torch import nn

from mmwsss.utils.checkpoint import CheckpointMismatchError, CheckpointReadError, load_checkpoint_strict


class _Net(nn.Module):
    def __init__(self, out=3, extra=False):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.head = nn.Conv2d(4, out, 1)
        if extra:
            self.aux = nn.Conv2d(4, out, 1)


def _save(path, model, prefix=''):
    torch.save(dict(meta=dict(iter=10), state_dict={prefix + k: v for k, v in model.state_dict().items()}), path)
    return str(path)


def test_same_model_loads_all_weights(tmp_path):
    src = _Net()
    path = _save(tmp_path / 'a.pth', src, prefix='module.')  # DDP prefix is stripped
    dst = _Net()
    ckpt = load_checkpoint_strict(dst, path)
    assert ckpt['meta']['iter'] == 10
    assert all(torch.equal(dst.state_dict()[k], v) for k, v in src.state_dict().items())


def test_shape_mismatch_names_file_and_key(tmp_path):
    path = _save(tmp_path / 'deeplab.pth', _Net(out=3))
    with pytest.raises(CheckpointMismatchError) as info:
        load_checkpoint_strict(_Net(out=5), path)
    msg = str(info.value)
    assert msg.startswith(path) and '\n' not in msg
    assert '2 shape mismatch(es) (head.weight: checkpoint [3, 4, 1, 1] vs model [5, 4, 1, 1]' in msg
    assert '--allow-partial' in msg


def test_missing_and_unexpected_keys(tmp_path):
    path = _save(tmp_path / 'a.pth', _Net())
    with pytest.raises(CheckpointMismatchError, match=r'a\.pth: .*2 missing key\(s\) \(aux\.weight, aux\.bias\)'):
        load_checkpoint_strict(_Net(extra=True), path)
    path = _save(tmp_path / 'b.pth', _Net(extra=True))
    with pytest.raises(CheckpointMismatchError, match=r'b\.pth: .*2 unexpected key\(s\) \(aux\.weight, aux\.bias\)'):
        load_checkpoint_strict(_Net(), path)


def test_allow_partial_loads_the_matching_weights(tmp_path):
    src = _Net(out=3, extra=True)
    path = _save(tmp_path / 'a.pth', src)
    dst = _Net(out=5)
    head_before = dst.head.weight.detach().clone()
    load_checkpoint_strict(dst, path, allow_partial=True)
    assert torch.equal(dst.backbone[0].weight, src.backbone[0].weight)
    assert torch.equal(dst.head.weight, head_before)  # the mismatched head keeps its initialisation


def test_ignore_patterns(tmp_path):
    src = _Net(extra=True)
    path = _save(tmp_path / 'a.pth', src)
    load_checkpoint_strict(_Net(), path, ignore=(r'aux\.', ))


def test_unreadable_and_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth: checkpoint not found'):
        load_checkpoint_strict(_Net(), str(tmp_path / 'nope.pth'))
    path = _save(tmp_path / 'cut.pth', _Net())
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(CheckpointReadError, match=r'cut\.pth: cannot read the checkpoint'):
        load_checkpoint_strict(_Net(), path)


def test_load_model_of_another_config_fails(tmp_path):
    """The generation tools' loader: a DeepLabV3 checkpoint under a CAM classifier config."""
    from mmwsss.apis import init_model

    from ..conftest import REPO
    deeplab = init_model(osp.join(REPO, 'configs/fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py'))
    path = _save(tmp_path / 'deeplab.pth', deeplab)
    cam_cfg = osp.join(REPO, 'configs/pretrain/cam_r18-d8_1xb8-4k_synthetic-pretrain-112x112.py')
    with pytest.raises(CheckpointMismatchError, match=r'deeplab\.pth: does not match the CAMClassifier'):
        init_model(cam_cfg, path)
    model = init_model(cam_cfg, path, allow_partial=True)  # the backbone matches
    assert torch.equal(model.backbone.stem[0].weight, deeplab.backbone.stem[0].weight)


def test_latest_checkpoint_survives_an_emptied_marker(tmp_path):
    """mmengine rewrites last_checkpoint in place: a kill at that moment leaves it empty."""
    from mmwsss.utils.checkpoint import latest_checkpoint
    from mmwsss.utils.compat import apply_patches
    assert latest_checkpoint(str(tmp_path)) is None
    for n in (2, 10, 4):
        (tmp_path / f'iter_{n}.pth').write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_4.pth')  # the marker wins when valid
    (tmp_path / 'last_checkpoint').write_text('')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_12.pth'))  # names a file that is gone
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
    apply_patches()  # what tools/train.py --resume uses
    from mmengine.runner import runner as runner_mod
    assert runner_mod.find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
