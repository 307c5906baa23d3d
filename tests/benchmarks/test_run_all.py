"""benchmarks/run_all.py: the table of benchmarks/README.md is rebuilt from the saved figures."""
import json
import os.path as osp
import sys

import pytest

from ..conftest import REPO

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
import run_all  # noqa: E402

MACHINE = dict(cpu='Test CPU', cores=2, torch='2.13.0', cuda=False, load=[3.0, 2.0, 1.0], date='2026-01-01 00:00 UTC')


def _save(results, name, figures, command='python benchmarks/x.py', machine=MACHINE):
    with open(osp.join(results, name + '.json'), 'w') as f:
        json.dump(dict(command=command, machine=machine, figures=figures), f)


def test_table_from_saved_figures(tmp_path, monkeypatch):
    results = tmp_path / 'results'
    results.mkdir()
    readme = tmp_path / 'README.md'
    readme.write_text(f'# B\n\nintro\n\n{run_all.START}\nold table\n{run_all.END}\n\ntail\n')
    monkeypatch.setattr(run_all, 'RESULTS', str(results))
    monkeypatch.setattr(run_all, 'README', str(readme))
    _save(results, 'crf', dict(b={'pydensecrf, image by image': [200.0, 100.0],
                                  'torch lattice, CPU (training: kernel cached)': [240.0, 120.0]},
                               c={'pydensecrf': [1.5, 0.6, 124.0], 'torch': [1.8, 0.72, 245.0]}))
    _save(results, 'lam', dict(grid=96, batch=2, device='cpu', linear=dict(
        memory_ratio=31.6, speed_ratio=6.5, cpu_speed_ratio=6.1, max_out_diff=2e-6)), machine=dict(MACHINE, isa='AVX2'))
    _save(results, 'offline_voc', dict(rows=[dict(stage='cam', cpu_s_per_image=8.0, peak_rss_mb=1900.0,
                                                  voc_train_aug_h=23.5, coco_train_h=182.4)]))
    run_all.write_readme()
    text = readme.read_text()
    assert 'old table' not in text and text.startswith('# B\n\nintro\n') and text.endswith('\n\ntail\n')
    assert '| torch lattice / pydensecrf time | 1.20x CPU, 1.20x wall (120 vs 100 ms CPU) | <= 1.5x |' in text
    assert '1.20x CPU, 1.20x wall (0.72 vs 0.60 s CPU); memory 245 vs 124 MB' in text
    assert '6.10x CPU (6.50x wall); 31.6x; 2.0e-06 | >= 5x; >= 20x; < 1e-4 |' in text
    assert '| offline stage at VOC size: cam | CPU s/image; peak RSS; VOC train_aug / COCO train | 8.00 s; 1900 MB; ' \
           '23.5 h / 182.4 h | peak <= 4096 MB |' in text
    # a benchmark without saved figures says how to run it; every saved one names its command and machine
    assert '| train_step | not run yet | `python benchmarks/run_all.py --only train_step` | |' in text
    # with the vector instructions of PyTorch's CPU kernels where the saved figures name them
    assert '* lam: `python benchmarks/x.py` on 2026-01-01 00:00 UTC, Test CPU (AVX2), 2 cores' in text
    assert '* crf: `python benchmarks/x.py` on 2026-01-01 00:00 UTC, Test CPU, 2 cores' in text


def test_readme_without_markers(tmp_path, monkeypatch):
    readme = tmp_path / 'README.md'
    readme.write_text('# no markers\n')
    monkeypatch.setattr(run_all, 'README', str(readme))
    monkeypatch.setattr(run_all, 'RESULTS', str(tmp_path))
    with pytest.raises(SystemExit, match='markers'):
        run_all.write_readme()


def test_every_benchmark_has_a_script_and_a_row_builder():
    for name, cmd in run_all.BENCHMARKS.items():
        assert osp.isfile(osp.join(REPO, cmd[0])), cmd[0]
        assert name in run_all.ROWS
