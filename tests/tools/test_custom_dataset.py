"""A dataset with its own classes trains every method by config alone (docs/custom_dataset.md).

The dataset comes from tools/dataset_converters/make_toy_custom.py (5 household classes, none of the embedded
ones). Each method trains from its configs/custom/ config (the method config + ``data_root`` + ``metainfo``),
here pointed at a temporary copy of the dataset and shrunk to one iteration; the offline stages between (SEC
cues, wsscoseg masks, CAMs) run through their tools as a user would.
"""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import REPO

TOY = ('kettle', 'lamp', 'mug', 'plant', 'stool')

def _env():
    import os
    return dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('custom') / 'toy')
    out = subprocess.run([sys.executable, osp.join(REPO, 'tools/dataset_converters/make_toy_custom.py'), root,
                          '--num-train', '8', '--num-val', '3', '--image-size', '64', '--num-web-per-class', '2',
                          '--num-ood', '4'], env=_env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return root


def _user_config(tmp_path, name, base, data_root, extra=''):
    """A configs/custom/ config on the test's copy of the dataset, shrunk to one iteration of batch 2."""
    text = f'''_base_ = [{osp.join(REPO, base)!r}]
data_root = {data_root!r}
train_cfg = dict(max_iters=1, val_interval=100)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False)
default_hooks = dict(checkpoint=dict(interval=1), logger=dict(interval=1))
{extra}'''
    path = tmp_path / f'{name}.py'
    path.write_text(text)
    return str(path)


def _train(cfg_path, work_dir):
    """tools/train.py, in process: one iteration; returns the checkpoint and the runner's model."""
    from mmengine.runner import Runner

    from mmwsss.utils.compat import cpu_dist_cfg
    from mmwsss.utils.config import load_tool_config
    cfg = load_tool_config(cfg_path, work_dir=str(work_dir))
    cpu_dist_cfg(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    ckpt = osp.join(str(work_dir), 'iter_1.pth')
    assert osp.isfile(ckpt)
    return ckpt, runner.model, cfg


def _head_classes(model):
    """``num_classes`` of every module that has one."""
    return {type(m).__name__: m.num_classes for m in model.modules() if isinstance(getattr(m, 'num_classes', None), int)}


def _tool(args):
    out = subprocess.run([sys.executable] + args, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    return out.stdout


def test_bound_with_class_balanced_loss(toy_root, tmp_path):
    cfg = _user_config(tmp_path, 'bound_toy', 'configs/custom/upernet_r18-d8_1xb8-2k_toy-custom-112x112.py', toy_root)
    _, model, _ = _train(cfg, tmp_path / 'work')
    assert set(_head_classes(model).values()) == {6}
    loss = model.decode_head.loss_decode
    assert type(loss).__name__ == 'ClassBalancedCELoss' and loss.pixel_counts.numel() == 6
    assert loss.class_weight[0] < loss.class_weight[1:].min()  # the background is the most frequent class


def test_blpseg_on_scribbles(toy_root, tmp_path):
    cfg = _user_config(tmp_path, 'blpseg_toy', 'configs/custom/blpseg_r18-d8_1xb8-2k_toy-custom-scribble-112x112.py', toy_root)
    _, model, c = _train(cfg, tmp_path / 'work')
    assert c.train_dataloader.dataset.metainfo['classes'] == TOY
    assert set(_head_classes(model).values()) == {6}


@pytest.fixture(scope='module')
def cam_stage(toy_root, tmp_path_factory):
    """The CAM classifier (one iteration) and its CAMs of the training images: shared by W-OoD and IRN."""
    tmp = tmp_path_factory.mktemp('cam')
    cam_cfg = _user_config(tmp, 'cam_toy', 'configs/custom/cam_r18-d8_1xb8-2k_toy-custom-112x112.py', toy_root)
    cam_ckpt, model, _ = _train(cam_cfg, tmp / 'cam')
    assert set(_head_classes(model).values()) == {6}
    cams = str(tmp / 'cams')
    _tool(['tools/wood/make_cam.py', cam_cfg, cam_ckpt, '--data-root', toy_root, '--out-dir', cams, '--scales', '1.0',
           '--no-flip'])
    return cam_cfg, cam_ckpt, cams


def test_cam_then_wood(toy_root, cam_stage, tmp_path):
    cam_cfg, cam_ckpt, cams = cam_stage
    wood_cfg = _user_config(tmp_path, 'wood_toy', 'configs/custom/wood_r18-d8_1xb8-500it_toy-custom-112x112.py', toy_root,
                            f'load_from = {cam_ckpt!r}\nmodel = dict(num_ood_prototypes=3)  # 4 OoD images here\n')
    _, model, c = _train(wood_cfg, tmp_path / 'wood')
    ood = c.train_dataloader.dataset.ood_dataset
    assert ood.data_root == toy_root and ood.num_classes == 6
    # the CAMs of the user's classes: one per image tag
    names = open(osp.join(toy_root, 'ImageSets/Segmentation/train.txt')).read().split()
    cam = np.load(osp.join(cams, names[0] + '.npy'), allow_pickle=True).item()
    labels = open(osp.join(toy_root, 'ImageSets/Segmentation/train_cls.txt')).readline().split()[1:]
    assert sorted(cam['keys'].tolist()) == sorted(int(c) for c in labels)


def test_irn_from_cams_to_semantic_labels(toy_root, cam_stage, tmp_path):
    """CAM -> IR labels -> one IRN step (configs/custom/irn_*) -> random-walk semantic labels -> segmentation."""
    from PIL import Image
    _, cam_ckpt, cams = cam_stage
    ir = str(tmp_path / 'ir_label')
    _tool(['tools/wood/cam_to_ir_label.py', '--data-root', toy_root, '--cam-dir', cams, '--out-dir', ir])
    cfg = _user_config(tmp_path, 'irn_toy', 'configs/custom/irn_r18-d8_1xb8-300it_toy-custom-112x112.py', toy_root,
                       f"model = dict(backbone=dict(init_cfg=dict(checkpoint={cam_ckpt!r})))\n"
                       f"train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, "
                       f"dataset=dict(data_prefix=dict(seg_map_path={ir!r})))\n")
    irn_ckpt, _, c = _train(cfg, tmp_path / 'irn')
    assert c.train_dataloader.dataset.metainfo['classes'] == TOY
    sem = str(tmp_path / 'sem_seg')
    _tool(['tools/wood/make_sem_seg_labels.py', cfg, irn_ckpt, '--data-root', toy_root, '--cam-dir', cams,
           '--out-dir', sem])
    names = open(osp.join(toy_root, 'ImageSets/Segmentation/train.txt')).read().split()
    for name in names:
        lab = np.asarray(Image.open(osp.join(sem, name + '.png')))
        tags = {int(t) + 1 for t in open(osp.join(toy_root, 'ImageSets/Segmentation/train_cls.txt')).read()
                .split(name, 1)[1].splitlines()[0].split()}
        assert lab.shape == np.asarray(Image.open(osp.join(toy_root, 'JPEGImages', name + '.jpg'))).shape[:2]
        assert set(np.unique(lab).tolist()) <= tags | {0, 255}  # only the image's own classes
    # the segmentation model on the pseudo masks (class-balanced loss)
    seg = _user_config(tmp_path, 'seg_toy', 'configs/custom/deeplabv3-pseudo_r18-d8_1xb8-2k_toy-custom-112x112.py',
                       toy_root, f"train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, "
                       f"dataset=dict(data_prefix=dict(seg_map_path={sem!r})))\n")
    _, model, _ = _train(seg, tmp_path / 'seg')
    assert set(_head_classes(model).values()) == {6}
    counts = model.decode_head.loss_decode.pixel_counts
    assert counts.numel() == 6 and counts.sum() > 0


def test_sec_from_its_cues(toy_root, tmp_path):
    cues = str(tmp_path / 'sec_cues')
    _tool(['tools/sec/make_cues.py', toy_root, '--iters', '1', '--batch-size', '2', '--bg-from-fg',
           '--work-dir', str(tmp_path / 'cue_work'), '--out-dir', cues])
    cfg = _user_config(tmp_path, 'sec_toy', 'configs/custom/sec_r18-d8_1xb8-2k_toy-custom-128x128.py', toy_root,
                       f"train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict("
                       f"cue_file={cues + '/localization_cues.pickle.gz'!r}, input_list={cues + '/input_list.txt'!r}))\n")
    _, model, _ = _train(cfg, tmp_path / 'work')
    assert set(_head_classes(model).values()) == {6}


def test_wsscoseg_web_then_final(toy_root, tmp_path):
    init = _user_config(tmp_path, 'coseg_init', 'configs/custom/wsscoseg-init_r18-d8_1xb8-4k_toy-custom-web-112x112.py', toy_root)
    ckpt, model, c = _train(init, tmp_path / 'init')
    assert c.train_dataloader.dataset.data_root == toy_root
    masks = str(tmp_path / 'masks')
    _tool(['tools/wsscoseg/estimate_masks.py', init, ckpt, '--data-root', toy_root, '--out-dir', masks])
    final = _user_config(tmp_path, 'coseg_final', 'configs/custom/wsscoseg-final_r18-d8_1xb8-8k_toy-custom-112x112.py', toy_root,
                         f"train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, "
                         f"dataset=dict(data_prefix=dict(seg_map_path={masks!r})))\n")
    _, model, _ = _train(final, tmp_path / 'final')
    assert set(_head_classes(model).values()) == {6}


def test_bestie_points(toy_root, tmp_path):
    # semantic maps: the GT masks stand in for another method's pseudo masks (the config reads pseudo_masks/wsscoseg)
    cfg = _user_config(tmp_path, 'bestie_toy', 'configs/custom/bestie-point_r18-d8_1xb8-4k_toy-custom-112x112.py',
                       toy_root, "train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, "
                       "dataset=dict(data_prefix=dict(seg_map_path='SegmentationClass')))\n")
    _, model, c = _train(cfg, tmp_path / 'work')
    assert c.num_classes == 5
    assert c.train_dataloader.dataset.metainfo['classes'] == TOY


def test_bestie_from_image_labels(toy_root, tmp_path):
    """PAM step (configs/custom/pam_*) -> peaks -> one BESTIE step from image tags (configs/custom/bestie-cls_*)."""
    pam = _user_config(tmp_path, 'pam_toy', 'configs/custom/pam_r18-d8_1xb8-2k_toy-custom-112x112.py', toy_root)
    pam_ckpt, model, c = _train(pam, tmp_path / 'pam')
    assert model.num_classes == 5 and c.train_dataloader.dataset.metainfo['classes'] == TOY
    peaks = str(tmp_path / 'Peak_points')
    _tool(['tools/bestie/extract_peaks.py', pam, pam_ckpt, '--out-dir', peaks, '--device', 'cpu'])
    names = open(osp.join(toy_root, 'ImageSets/Segmentation/train.txt')).read().split()
    for name in names:  # "x y cls conf" lines, classes among the image's tags
        tags = {int(t) for t in open(osp.join(toy_root, 'ImageSets/Segmentation/train_cls.txt')).read()
                .split(name, 1)[1].splitlines()[0].split()}
        rows = [ln.split() for ln in open(osp.join(peaks, name + '.txt')).read().splitlines() if ln.strip()]
        assert all(len(r) == 4 and int(float(r[2])) in tags for r in rows)
    cfg = _user_config(tmp_path, 'bestie_cls_toy', 'configs/custom/bestie-cls_r18-d8_1xb8-4k_toy-custom-112x112.py',
                       toy_root, "train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, "
                       f"dataset=dict(data_prefix=dict(seg_map_path='SegmentationClass', points_path={peaks!r})))\n")
    _, model, c = _train(cfg, tmp_path / 'bestie')
    assert c.num_classes == 5 and c.train_dataloader.dataset.data_prefix['points_path'] == peaks


def test_mask_rcnn_on_instance_json(toy_root, tmp_path):
    ann = osp.join(toy_root, 'annotations/instances_train.json')
    cfg = _user_config(tmp_path, 'mrcnn_toy', 'configs/custom/mask-rcnn-bestie-pseudo_r18_fpn_1xb8-2k_toy-custom.py',
                       toy_root, f"pseudo_ann_file = {ann!r}\n"
                       f"train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, "
                       f"dataset=dict(ann_file={ann!r}))\n")
    _, model, c = _train(cfg, tmp_path / 'work')
    assert model.roi_head.bbox_head.num_classes == 5 and model.roi_head.mask_head.num_classes == 5
    cats = [c['name'] for c in json.load(open(ann))['categories']]
    assert tuple(cats) == TOY
