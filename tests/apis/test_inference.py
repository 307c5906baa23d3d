"""mmseg's and mmdet's inference APIs run mmwsss configs; mmwsss's own per-image entry points."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from ..conftest import REPO

CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
                 if not osp.basename(p).startswith('_') and osp.basename(osp.dirname(p)) not in ('_base_', 'comparison'))


def _load(path):
    from mmengine.config import Config
    return Config.fromfile(path)


def _is_instance(cfg) -> bool:
    return cfg.get('default_scope', 'mmseg') == 'mmdet'


@pytest.fixture(scope='module')
def image_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('img') / 'demo.jpg')
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 52, 3), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_inferencer_pipeline_of_every_config_runs_without_annotations(config, image_file):
    """The test pipeline as mmseg's / mmdet's inferencers rebuild it takes an image and nothing else."""
    cfg = _load(config)
    if cfg.get('test_dataloader') is None:
        # stage models, used by their tools: IRN, BESTIE's PAM and SEC's two cue classifiers (make_cues.py)
        assert cfg.model.type in ('IRNet', 'BestiePAMClassifier') or osp.basename(config).startswith('sec-cues'), config
        return
    if _is_instance(cfg):
        from mmdet.apis import DetInferencer as Inferencer
        from mmengine.registry import init_default_scope
        init_default_scope('mmdet')
    else:
        from mmengine.registry import init_default_scope
        from mmseg.apis import MMSegInferencer as Inferencer
        init_default_scope('mmseg')
    # _init_pipeline is what the inferencer calls on its config; it needs no model
    pipeline = Inferencer._init_pipeline(Inferencer.__new__(Inferencer), cfg)
    out = pipeline(image_file)
    assert out['inputs'].shape[0] == 3
    sample = out['data_samples']
    assert 'gt_sem_seg' not in sample and 'gt_instances' not in sample or len(sample.gt_instances) == 0


def _tiny_checkpoint(model, path, classes):
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dict(classes=classes))), path)


SEMANTIC = ['fully_supervised/upernet_r18-d8_1xb8-2k_synthetic-112x112.py',
            'fully_supervised/deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py',
            'blpseg/blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py', 'sec/sec_r18-d8_1xb8-2k_synthetic-128x128.py',
            'wsscoseg/wsscoseg-final_r18-d8_1xb8-8k_synthetic-112x112.py', 'wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py']


@pytest.mark.parametrize('name', SEMANTIC)
def test_mmseg_inference_api_on_semantic_configs(name, image_file, tmp_path):
    from mmseg.apis import MMSegInferencer, inference_model, init_model
    config = osp.join(REPO, 'configs', name)
    torch.manual_seed(0)
    model = init_model(config, device='cpu')
    ckpt = str(tmp_path / 'model.pth')
    classes = tuple(f'c{i}' for i in range(7))
    _tiny_checkpoint(model, ckpt, classes)
    model = init_model(config, ckpt, device='cpu')
    assert model.dataset_meta['classes'] == classes
    result = inference_model(model, image_file)
    assert tuple(result.pred_sem_seg.data.shape) == (1, 40, 52)
    img = np.asarray(Image.open(image_file))[..., ::-1].copy()  # BGR array, mmseg's convention
    assert torch.equal(inference_model(model, img).pred_sem_seg.data, result.pred_sem_seg.data)
    inferencer = MMSegInferencer(model=config, weights=ckpt, device='cpu')
    pred = inferencer(image_file, return_datasamples=True)
    assert torch.equal(pred.pred_sem_seg.data, result.pred_sem_seg.data)


def test_mmdet_inference_api_on_bestie(image_file, tmp_path):
    from mmdet.apis import DetInferencer, inference_detector, init_detector
    config = osp.join(REPO, 'configs', 'bestie', 'bestie-point_r18-d8_1xb8-4k_synthetic-112x112.py')
    torch.manual_seed(0)
    model = init_detector(config, device='cpu')
    ckpt = str(tmp_path / 'bestie.pth')
    _tiny_checkpoint(model, ckpt, tuple(f'c{i}' for i in range(6)))
    model = init_detector(config, ckpt, device='cpu')
    result = inference_detector(model, image_file)
    inst = result.pred_instances
    assert inst.masks.shape[1:] == (40, 52) and len(inst.labels) == len(inst.scores) == len(inst.masks)
    pred = DetInferencer(model=config, weights=ckpt, device='cpu')(image_file, return_datasamples=True)
    assert len(pred['predictions'][0].pred_instances) == len(inst)


def test_inference_cams_and_pseudo_label(image_file):
    from mmwsss.apis import inference_cams, inference_pseudo_label, init_model, predict_image_labels
    from mmwsss.stages.cam import compute_cam
    torch.manual_seed(0)
    cam_model = init_model(osp.join(REPO, 'configs/wood/cam_r18-d8_1xb8-2k_synthetic-112x112.py'))
    irn_model = init_model(osp.join(REPO, 'configs/wood/irn_r18-d8_1xb8-300it_synthetic-112x112.py'))
    rgb = np.asarray(Image.open(image_file))
    cams = inference_cams(cam_model, image_file, labels=[0, 3], scales=(1.0, ), flip=False)
    ref = compute_cam(cam_model, rgb, [0, 3], (1.0, ), False)
    assert cams['keys'].tolist() == [0, 3] and cams['high_res'].shape == (2, 40, 52)
    assert np.array_equal(cams['high_res'], ref['high_res']) and cams['cam'].shape == (2, 10, 13)
    # labels=None: the classifier's own prediction; a threshold of 0 keeps every class
    assert predict_image_labels(cam_model, image_file, score_thr=0.0).tolist() == list(range(6))
    assert predict_image_labels(cam_model, image_file, score_thr=1.0).tolist() == []
    label = inference_pseudo_label(cam_model, irn_model, rgb[..., ::-1].copy(), labels=[0, 3], scales=(1.0, ),
                                   flip=False, exp_times=2)
    assert label.shape == (40, 52) and label.dtype == np.uint8
    assert set(np.unique(label).tolist()) <= {0, 1, 4}
    with pytest.raises(ValueError, match='uint8 BGR'):
        inference_cams(cam_model, np.zeros((4, 4)), labels=[0])
