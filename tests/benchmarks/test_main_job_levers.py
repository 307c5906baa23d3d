"""benchmarks/bench_main_job_levers.py: the main job's projected training time from per-iteration figures."""
import os.path as osp
import sys

import pytest

from ..conftest import REPO

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
import bench_main_job_levers as levers  # noqa: E402


def test_projection_packs_the_suite_two_at_a_time():
    sec = dict(bestie_oracle=0.2, bestie_point=0.25, upernet=0.1, blpseg=0.15)
    iters = dict(bestie_oracle=2000, bestie_point=2000, upernet=2000, blpseg=2000)
    total, spans = levers.project_main_job(sec, iters)
    # the BESTIE pair (priority) starts first; UPerNet takes the slot the oracle frees, BLPSeg the next one
    assert spans['bestie_oracle'] == (0, pytest.approx(400)) and spans['bestie_point'] == (0, pytest.approx(500))
    assert spans['upernet'] == (pytest.approx(400), pytest.approx(600))
    assert spans['blpseg'] == (pytest.approx(500), pytest.approx(800))
    assert total == pytest.approx(800)
    # one slot: the sum
    assert levers.project_main_job(sec, iters, jobs=1)[0] == pytest.approx(1400)


def test_every_entry_is_a_main_job_config():
    from mmwsss.comparison.runner import load_suite
    suite = load_suite(osp.join(REPO, 'configs', 'comparison', 'embedded_main_suite.py'))
    trained = {e['steps'][0]['cmd'][2] for e in suite}
    assert trained == set(levers.ENTRIES.values())
