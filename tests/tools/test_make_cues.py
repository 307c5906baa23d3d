"""tools/sec/make_cues.py: the cue classifiers come from configs and the registry; cues in SEC's format."""
import os
import os.path as osp
import subprocess
import sys

import pytest

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
    # an interrupted cue generation: the per-image parts resume into the same file
    first = open(osp.join(out, 'localization_cues.pickle.gz'), 'rb').read()
    os.remove(osp.join(out, 'localization_cues.pickle.gz'))
    parts = sorted(f for f in os.listdir(osp.join(work, 'cue_parts')) if f.endswith('.npz'))
    assert len(parts) == n
    os.remove(osp.join(work, 'cue_parts', parts[1]))
    kept = osp.getmtime(osp.join(work, 'cue_parts', parts[0]))
    resumed = subprocess.run(cmd, cwd=str(tmp_path), env=ENV, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert open(osp.join(out, 'localization_cues.pickle.gz'), 'rb').read() == first
    assert osp.getmtime(osp.join(work, 'cue_parts', parts[0])) == kept


CUE_CONFIGS = {k: osp.join(REPO, 'configs', 'sec', f'sec-cues-{k}_r18-d8_1xb16-600it_synthetic-128x128.py')
               for k in ('fg', 'bg')}


def test_cue_classifier_runner_configs_come_from_the_sec_cue_cfg():
    """The Runner configs of the two cue classifiers take model, data and schedule from the SEC config's cue_cfg."""
    from mmengine.config import Config
    sec = Config.fromfile(osp.join(REPO, 'configs/sec/sec_r18-d8_1xb8-2k_synthetic-128x128.py'))
    cue = sec.cue_cfg
    for key, want in (('fg', cue.fg_model), ('bg', cue.bg_model)):
        cfg = Config.fromfile(CUE_CONFIGS[key])
        assert cfg.model.type == want.type and cfg.model.backbone == want.backbone
        assert cfg.model.in_channels == want.in_channels and cfg.model.num_classes == sec.num_classes
        assert cfg.train_cfg.max_iters == cue.train.iters and cfg.train_dataloader.batch_size == cue.train.batch_size
        assert cfg.optim_wrapper.optimizer.lr == cue.train.lr
        assert cfg.param_scheduler == [dict(type='StepLR', step_size=cue.train.step, gamma=0.1, by_epoch=False)]
        pre = cfg.model.data_preprocessor
        assert (pre.mean, pre.std, pre.bgr_to_rgb) == (cue.data.mean, cue.data.std, cue.data.to_rgb)
        resize = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] == 'Resize']
        assert resize == [dict(type='Resize', scale=(cue.data.size, cue.data.size), keep_ratio=False)]
        assert cfg.val_cfg is None and cfg.train_dataloader.dataset.cls_label_file.endswith('train_cls.txt')


def test_cue_classifiers_train_on_the_runner_and_make_cues_reads_their_checkpoints(tmp_path, tiny_synthetic):
    """tools/train.py trains each cue classifier (2 iterations); make_cues.py with both checkpoints trains nothing,
    writes one cue set per image on the 16x16 grid with the image's labels, and refuses a checkpoint of the
    other classifier (strict loading)."""
    from mmwsss.datasets.sec_cues import load_sec_cue_file
    from mmwsss.datasets.voc import read_cls_label_file
    ckpts = {}
    for key, config in CUE_CONFIGS.items():
        work = str(tmp_path / key)
        cmd = [sys.executable, osp.join(REPO, 'tools/train.py'), config, '--work-dir', work, '--cfg-options',
               f'data_root={tiny_synthetic}', 'train_cfg.max_iters=2', 'train_dataloader.batch_size=4',
               'train_dataloader.dataset.generate=False', 'default_hooks.logger.interval=1']
        run = subprocess.run(cmd, cwd=str(tmp_path), env=ENV, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert 'loss_cls' in run.stdout + run.stderr
        ckpts[key] = osp.join(work, 'iter_2.pth')
        assert osp.isfile(ckpts[key])

    out, work = str(tmp_path / 'cues'), str(tmp_path / 'work')
    cmd = [sys.executable, osp.join(REPO, 'tools/sec/make_cues.py'), tiny_synthetic, '--work-dir', work,
           '--out-dir', out, '--gen-batch-size', '4', '--fg-checkpoint', ckpts['fg'], '--bg-checkpoint', ckpts['bg']]
    run = subprocess.run(cmd, cwd=str(tmp_path), env=ENV, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert 'training' not in run.stdout and 'cue grid 16x16' in run.stdout
    cues = load_sec_cue_file(osp.join(out, 'localization_cues.pickle.gz'))
    names = [x for x in open(osp.join(out, 'input_list.txt')).read().split('\n') if x.strip()]
    split = open(osp.join(tiny_synthetic, 'ImageSets/Segmentation/train.txt')).read().split()
    labels = read_cls_label_file(osp.join(tiny_synthetic, 'ImageSets/Segmentation/train_cls.txt'), 6)
    assert len(names) == len(split) and len([k for k in cues if k.endswith('_cues')]) == len(split)
    for i, name in enumerate(split):
        assert list(cues[f'{i}_labels']) == sorted(c + 1 for c in labels[name])
        c, y, x = cues[f'{i}_cues']
        assert set(c.tolist()) <= {0} | set(cues[f'{i}_labels'].tolist())  # background or a present class
        assert y.min(initial=0) >= 0 and y.max(initial=0) < 16 and x.max(initial=0) < 16
    assert any(len(cues[f'{i}_cues'][0]) for i in range(len(split)))

    swapped = cmd[:-4] + ['--fg-checkpoint', ckpts['bg'], '--bg-checkpoint', ckpts['fg'], '--overwrite']
    bad = subprocess.run(swapped, cwd=str(tmp_path), env=ENV, capture_output=True, text=True, timeout=600)
    assert bad.returncode != 0
    assert 'CheckpointMismatchError' in bad.stdout + bad.stderr and 'classifier.weight' in bad.stdout + bad.stderr


@pytest.mark.parametrize('dataset,preset,num_classes', [('r18-d8_1xb16-600it_synthetic-128x128', 'synthetic', 7),
                                                        ('vgg16_1xb15-8k_voc12aug-321x321', 'voc', 21)])
def test_runner_cue_classifiers_have_the_weights_make_cues_loads(dataset, preset, num_classes):
    """Each Runner config's model has exactly the weights of make_cues.py's classifier (strict loading), and
    one loss step runs on it (small input, random weights: the pretrained init is not read)."""
    import torch
    from mmengine.config import Config
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample

    import mmwsss.seg  # noqa: F401
    sys.path.insert(0, osp.join(REPO, 'tools', 'sec'))
    from make_cues import PRESETS, cue_models
    fg, bg, _, _ = cue_models(PRESETS[preset], num_classes)
    for key, tool_cfg in (('fg', fg), ('bg', bg)):
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'sec', f'sec-cues-{key}_{dataset}.py'))
        cfg.model.pop('pretrained', None)
        model = MODELS.build(cfg.model)
        tool_model = MODELS.build(tool_cfg)
        assert {k: v.shape for k, v in model.state_dict().items()} == \
            {k: v.shape for k, v in tool_model.state_dict().items()}
        labels = torch.zeros(num_classes)
        labels[[0, 2]] = 1
        sample = SegDataSample()
        sample.gt_img_labels = labels
        model.train()
        losses = model(torch.rand(2, 3, 48, 48), [sample, sample], mode='loss')
        assert torch.isfinite(losses['loss_cls']) and losses['loss_cls'] > 0
