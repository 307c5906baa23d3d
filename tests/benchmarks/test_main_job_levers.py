"""benchmarks/bench_main_job_levers.py: the main job's projected training time from per-iteration figures."""
import os.path as osp
import sys

import pytest

from ..conftest import REPO
from ..test_configs import _base_name

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
import bench_main_job_levers as levers  # noqa: E402


def test_projection_shares_two_cores_among_three_runs():
    sec = dict(bestie_oracle=0.2, bestie_point=0.25, upernet=0.1, blpseg=0.15)
    iters = dict(bestie_oracle=4000, bestie_point=4000, upernet=2000, blpseg=2000)
    total, spans = levers.project_main_job(sec, iters, jobs=3)
    # BESTIE points, oracle and BLPSeg start at 2/3 of a core each; BLPSeg (300 s of CPU) ends at 450 s and UPerNet
    # (200 s) starts, ending at 750 s; then the BESTIE pair runs at a full core each
    assert spans['blpseg'] == (0, pytest.approx(450)) and spans['upernet'] == (pytest.approx(450), pytest.approx(750))
    assert spans['bestie_oracle'] == (0, pytest.approx(1050)) and spans['bestie_point'] == (0, pytest.approx(1250))
    assert total == pytest.approx(1250)


def test_projection_packs_the_suite_two_at_a_time():
    sec = dict(bestie_oracle=0.2, bestie_point=0.25, upernet=0.1, blpseg=0.15)
    iters = dict(bestie_oracle=4000, bestie_point=4000, upernet=2000, blpseg=2000)
    total, spans = levers.project_main_job(sec, iters)  # main_job.py's default: 2 at a time on 2 cores
    # the BESTIE pair starts first; BLPSeg takes the slot the oracle frees, UPerNet the next one
    assert spans['bestie_oracle'] == (0, pytest.approx(800)) and spans['bestie_point'] == (0, pytest.approx(1000))
    assert spans['blpseg'] == (pytest.approx(800), pytest.approx(1100))
    assert spans['upernet'] == (pytest.approx(1000), pytest.approx(1200))
    assert total == pytest.approx(1200)
    # one slot: the sum
    assert levers.project_main_job(sec, iters, jobs=1)[0] == pytest.approx(2300)


def test_every_entry_is_a_main_job_config():
    from mmwsss.comparison.runner import load_suite
    suite = load_suite(osp.join(REPO, 'configs', 'comparison', 'embedded_main_suite.py'))
    trained = {e['steps'][0]['cmd'][2] for e in suite}
    assert trained == set(levers.ENTRIES.values())


def test_config_variant_trains_as_the_wrapper_does():
    """The ``config`` variant times bf16 only where training runs bf16: the wrapper falls back to float32 on CPUs
    without oneDNN bfloat16 kernels (where bf16 convolutions take several times the float32 time)."""
    amp = dict(type='CPUAutocastOptimWrapper', optimizer=dict(type='SGD', lr=0.01))
    assert levers.trains_in_bf16(amp, native_bf16=True)
    assert not levers.trains_in_bf16(amp, native_bf16=False)
    assert levers.trains_in_bf16(dict(amp, cpu_fallback=False), native_bf16=False)
    assert not levers.trains_in_bf16(dict(amp, dtype='float16'), native_bf16=True)
    assert not levers.trains_in_bf16(dict(type='OptimWrapper', optimizer=amp['optimizer']), native_bf16=True)
    from mmengine.config import Config
    for entry in ('upernet', 'blpseg'):  # the -amp entries of the main job
        cfg = Config.fromfile(osp.join(REPO, levers.ENTRIES[entry]))
        assert levers.trains_in_bf16(cfg.optim_wrapper, True) and not levers.trains_in_bf16(cfg.optim_wrapper, False)


@pytest.mark.parametrize('entry', sorted(levers.ENTRIES))
def test_config_variants_restore_the_float32_configs_crop_and_backbone(entry):
    """``config@112`` and ``config@d8`` time the entry with the crop and the backbone of the float32 112x112 config
    it derives from (the levers the entry takes)."""
    from mmengine.config import Config
    path = osp.join(REPO, levers.ENTRIES[entry])
    base_name = _base_name(path)
    base = Config.fromfile(osp.join(osp.dirname(path), base_name))
    assert base_name.endswith('-112x112.py')
    cfg = Config.fromfile(path)
    assert cfg.model.backbone != base.model.backbone  # the entry runs another output stride
    assert levers.apply_variant(cfg, 'config@d8').model.backbone == base.model.backbone
    cfg = levers.apply_variant(Config.fromfile(path), 'config@112')
    crops = [t['crop_size'] for t in cfg.train_dataloader.dataset.pipeline if 'crop_size' in t]
    assert crops == [t['crop_size'] for t in base.train_dataloader.dataset.pipeline if 'crop_size' in t] == [(112, 112)]


@pytest.mark.parametrize('entry', sorted(levers.ENTRIES))
def test_plain_data_variant_gives_the_samples_of_the_config(entry, tiny_synthetic, monkeypatch):
    """The main job's training pipelines (decoded-file cache, WSSSRandomCrop) produce exactly the samples of the plain
    transforms that the ``plain_data`` variant times, over several passes of the dataset (cache hits), for the same
    random state."""
    import random

    import numpy as np
    import torch
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmengine.registry import DATASETS, DefaultScope

    import mmwsss.det  # noqa: F401
    import mmwsss.seg  # noqa: F401
    monkeypatch.setenv('MMWSSS_DATA_ROOT', tiny_synthetic)
    cfg = Config.fromfile(osp.join(REPO, levers.ENTRIES[entry]))
    pipeline = cfg.train_dataloader.dataset.pipeline
    plain = levers.apply_variant(Config.fromfile(osp.join(REPO, levers.ENTRIES[entry])), 'plain_data')
    plain = plain.train_dataloader.dataset.pipeline
    assert [t for t in pipeline if t.get('cache_mb')] and not [t for t in plain if 'cache_mb' in t]
    assert not {t['type'] for t in plain} & set(levers.PLAIN_TRANSFORMS)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, pipeline=[]))
        samples = []
        for pipe in (pipeline, plain):
            compose = Compose(pipe)
            random.seed(0)
            np.random.seed(0)
            torch.manual_seed(0)
            samples.append([compose(dataset.get_data_info(i % len(dataset))) for i in range(3 * len(dataset))])

    def fields(sample):
        """The data sample's fields and meta keys, nested ones flattened, tensors and arrays as lists."""
        def flat(d, prefix=''):
            for k, v in d.items():
                if isinstance(v, dict):
                    yield from flat(v, f'{prefix}{k}.')
                else:
                    yield f'{prefix}{k}', v.tolist() if hasattr(v, 'tolist') else v
        return dict(flat(sample['data_samples'].to_dict()))

    cached, plain = samples
    for a, b in zip(cached, plain):
        assert torch.equal(a['inputs'], b['inputs'])
        assert fields(a) == fields(b)
    assert not torch.equal(cached[0]['inputs'], cached[1]['inputs'])  # different samples do differ
    assert fields(cached[0]) != fields(cached[1])
