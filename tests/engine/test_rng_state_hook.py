"""--resume continues bit-identically with dropout and random augmentation (RNGStateHook)."""
import random
import uuid

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

from mmwsss.engine.hooks import RNGStateHook
from mmwsss.engine.hooks.rng_state import get_rng_state, set_rng_state


class _AugmentedSet(Dataset):
    """Random augmentation drawn from numpy, random and torch in the loading process."""

    def __init__(self, n=6):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 8, generator=g)
        self.y = torch.randn(n, 1, generator=g)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        x = self.x[i] + torch.from_numpy(np.random.normal(0, 0.1, 8).astype(np.float32))
        if random.random() < 0.5:
            x = x.flip(0)
        x = x * (1 + 0.1 * torch.rand(1))
        return dict(inputs=x, labels=self.y[i])


class _DropoutNet(BaseModel):

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))

    def forward(self, inputs, labels, mode='loss'):
        return dict(loss=((self.net(inputs) - labels) ** 2).mean())


class _LossRecorder:
    def __init__(self):
        self.losses = {}


def _train(work_dir, max_iters, resume_from=None, rng_hook=True, num_workers=0, seed=0, load_from=None):
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    record = _LossRecorder()

    class Record(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            record.losses[runner.iter + 1] = outputs['loss'].item()

    runner = Runner(
        model=_DropoutNet(), work_dir=str(work_dir), experiment_name=f'rng_{uuid.uuid4().hex}',
        train_dataloader=dict(dataset=_AugmentedSet(), batch_size=2, num_workers=num_workers,
                              persistent_workers=num_workers > 0,
                              sampler=dict(type='DefaultSampler', shuffle=True), collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2),
                           logger=dict(type='LoggerHook', interval=100)),
        custom_hooks=[Record()] + ([RNGStateHook()] if rng_hook else []),
        randomness=dict(seed=seed), load_from=resume_from or load_from, resume=resume_from is not None,
        default_scope='mmengine', log_level='WARNING')
    runner.train()
    return runner.model.state_dict(), record.losses


@pytest.mark.parametrize('num_workers', [0, 2])
def test_resume_is_bit_identical(tmp_path, num_workers):
    # 6 samples, batch 2: 3 iterations per epoch; iteration 4 is mid-epoch, iteration 6 an epoch boundary
    full, full_losses = _train(tmp_path / 'full', 8, num_workers=num_workers)
    for ckpt in ('iter_4.pth', 'iter_6.pth'):
        state, losses = _train(tmp_path / f'resumed_{ckpt[:-4]}', 8, resume_from=str(tmp_path / 'full' / ckpt),
                               num_workers=num_workers)
        start = int(ckpt[5:-4])
        assert sorted(losses) == list(range(start + 1, 9))
        assert all(losses[i] == full_losses[i] for i in losses), (ckpt, losses, full_losses)
        assert all(torch.equal(state[k], full[k]) for k in full), ckpt


def test_resume_without_the_hook_differs(tmp_path):
    """The control: the same resume without the saved states draws other dropout masks/augmentations."""
    full, full_losses = _train(tmp_path / 'full', 8, rng_hook=False)
    _, losses = _train(tmp_path / 'resumed', 8, resume_from=str(tmp_path / 'full' / 'iter_4.pth'), rng_hook=False)
    assert any(losses[i] != full_losses[i] for i in losses)


def test_checkpoint_holds_states_and_loads_with_weights_only(tmp_path):
    _train(tmp_path / 'run', 2)
    ckpt = torch.load(tmp_path / 'run' / 'iter_2.pth', weights_only=True)
    entry = ckpt['rng_state']
    assert len(entry['ranks']) == 1 and set(entry['ranks'][0]) >= {'python', 'numpy', 'torch'}
    assert entry['sampler'] == dict(type='DefaultSampler', seed=0, epoch=0)
    assert entry['worker_seed'] == 0


def test_seed_of_the_checkpoint_wins(tmp_path):
    """A resumed run whose config has another seed continues with the checkpoint's sampler and generator states."""
    full, full_losses = _train(tmp_path / 'full', 6, seed=0)
    state, losses = _train(tmp_path / 'resumed', 6, resume_from=str(tmp_path / 'full' / 'iter_2.pth'), seed=5)
    assert all(losses[i] == full_losses[i] for i in losses)
    assert all(torch.equal(state[k], full[k]) for k in full)


def test_load_from_keeps_the_runs_own_seed(tmp_path):
    """Fine-tuning from a checkpoint (load_from, not a resume) does not take over that run's generator states."""
    _train(tmp_path / 'full', 2)
    ckpt = str(tmp_path / 'full' / 'iter_2.pth')
    _, a = _train(tmp_path / 'ft0', 2, load_from=ckpt, seed=0)
    _, b = _train(tmp_path / 'ft5', 2, load_from=ckpt, seed=5)
    assert a != b


def test_get_set_round_trip():
    state = get_rng_state()
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    set_rng_state(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a
