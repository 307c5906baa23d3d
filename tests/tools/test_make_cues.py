"""tools/sec/make_cues.py: the cue classifiers come from configs and the registry; cues in SEC's format."""
import os
import os.path as osp
import subprocess
import sys

from ..conftest import REPO

ENV = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')


def test_cue_classifier_configs():
    sys.path.insert(0, osp.join(REPO, 'tools', 'sec'))
    from make_cues import PRESETS, cue_models
    fg, bg, data, train = cue_models(PRESETS['synthetic'], 7, width=8)
    assert fg['type'] == 'CAMClassifier' and bg['type'] == 'SECSaliencyClassifier'
    assert fg['num_classes'] == 7 and bg['num_fg'] == 6 and fg['in_channels'] == bg['in_channels'] == 64
    assert fg['backbone']['out_indices'] == (1, 3) and fg['backbone']['base_channels'] == 8
    assert data['size'] == 128 and train == dict(iters=600, step=400, lr=0.05, batch_size=16)
    fg, bg, data, train = cue_models(PRESETS['voc'], 21, pretrained='vgg.pth')
    assert fg['backbone']['type'] == 'VGG16LargeFOV' and fg['backbone']['init_cfg']['checkpoint'] == 'vgg.pth'
    assert tuple(bg['backbone']['out_indices']) == (2, 4)
    assert data['to_rgb'] is False and train['iters'] == 8000


def test_make_cues_writes_sec_cue_file_and_resumes(tmp_path, tiny_synthetic):
    from mmwsss.datasets.sec_cues import load_sec_cue_file
    out, work = str(tmp_path / 'cues'), str(tmp_path / 'work')
    cmd = [sys.executable, osp.join(REPO, 'tools/sec/make_cues.py'), tiny_synthetic, '--work-dir', work,
           '--out-dir', out, '--iters', '2', '--batch-size', '4', '--gen-batch-size', '4']
    run = subprocess.run(cmd, cwd=str(tmp_path), env=ENV, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert osp.isfile(osp.join(work, 'fg_cam.pth')) and osp.isfile(osp.join(work, 'bg_saliency.pth'))
    cues = load_sec_cue_file(osp.join(out, 'localization_cues.pickle.gz'))
    names = open(osp.join(out, 'input_list.txt')).read().split('\n')
    n = len(open(osp.join(tiny_synthetic, 'ImageSets/Segmentation/train.txt')).read().split())
    assert len([k for k in cues if k.endswith('_cues')]) == n and len([x for x in names if x.strip()]) == n
    again = subprocess.run(cmd, cwd=str(tmp_path), env=ENV, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and 'nothing to do' in again.stdout
