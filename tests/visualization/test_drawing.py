import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mmwsss.datasets.points import read_points
from mmwsss.visualization import draw_instances, draw_points, overlay_heatmap, overlay_label_map, tile

from ..conftest import REPO


def test_overlay_label_map_colors_and_ignore():
    img = np.zeros((4, 5, 3), np.uint8)
    lab = np.zeros((4, 5), np.uint8)
    lab[0, 0] = 1  # VOC colour of class 1 is (128, 0, 0)
    lab[1, 1] = 255
    out = overlay_label_map(img, lab, alpha=1.0)
    assert out[0, 0].tolist() == [128, 0, 0] and out[1, 1].tolist() == [255, 255, 255]
    out = overlay_label_map(img, lab, alpha=1.0, ignore_color=None, skip_background=True)
    assert out[1, 1].tolist() == [0, 0, 0] and out[2, 2].tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match='label map has size'):
        overlay_label_map(img, np.zeros((3, 3), np.uint8))


def test_heatmap_points_instances_tile(tmp_path):
    img = np.full((32, 40, 3), 100, np.uint8)
    heat = np.zeros((32, 40), np.float32)
    heat[10, 10] = 1.0
    out = overlay_heatmap(img, heat, alpha=1.0)
    assert out[10, 10].tolist() != out[0, 0].tolist()
    p = tmp_path / 'pts.txt'
    p.write_text('5 6 0 1.000\n20 10 2 0.750\n')
    pts = read_points(str(p))
    assert pts.tolist() == [[5, 6, 0, 1.0], [20, 10, 2, 0.75]]
    drawn = draw_points(img, pts)
    assert drawn.shape == img.shape and (drawn != img).any(axis=2)[6, 5]
    masks = np.zeros((2, 32, 40), bool)
    masks[0, 2:8, 2:8] = True
    masks[1, 20:30, 20:30] = True
    inst = draw_instances(img, masks, [1, 4], scores=[0.9, 0.5])
    assert (inst[25, 25] != img[25, 25]).any() and (inst[15, 35] == img[15, 35]).all()
    grid = tile([img, drawn, inst], ['a', 'b', 'c'], cols=2)
    assert grid.shape == (2 * (32 + 12), 80, 3)
    p.write_text('5 6 0 1.0 7\n')
    with pytest.raises(ValueError, match='pts.txt:1: expected "x y cls conf"'):
        read_points(str(p))


def test_visualize_tool_on_embedded_layout(tmp_path, tiny_synthetic):
    ids = open(osp.join(tiny_synthetic, 'ImageSets/Segmentation/val.txt')).read().split()[:2]
    pseudo = tmp_path / 'pseudo'
    pseudo.mkdir()
    cams = tmp_path / 'cam'
    cams.mkdir()
    for i in ids:
        Image.fromarray(np.zeros((64, 64), np.uint8)).save(pseudo / f'{i}.png')
        np.save(cams / f'{i}.npy', np.random.rand(2, 64, 64).astype(np.float32))
    out = tmp_path / 'vis'
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools/visualize.py'), tiny_synthetic,
                           '--out', str(out), '--num', '2', '--extra', f'pseudo={pseudo}', f'cam={cams}'],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    pngs = sorted(p.name for p in out.iterdir())
    assert pngs == sorted(f'{i}.png' for i in ids)
    canvas = np.asarray(Image.open(out / pngs[0]))
    assert canvas.shape == (64 + 12, 7 * 64, 3)  # 5 default panels + pseudo + cam


def _load_visualize_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location('mmwsss_visualize_tool', osp.join(REPO, 'tools/visualize.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_point_instances_are_the_regions_with_exactly_one_point(tiny_synthetic):
    tool = _load_visualize_tool()
    found = 0
    for img_id in open(osp.join(tiny_synthetic, 'ImageSets/Segmentation/train.txt')).read().split():
        cls_map = np.asarray(Image.open(osp.join(tiny_synthetic, 'SegmentationClass', img_id + '.png')))
        pts = read_points(osp.join(tiny_synthetic, 'Center_points', img_id + '.txt'))
        masks, labels = tool.point_instances(tiny_synthetic, img_id, min_area=1)
        assert len(masks) == len(labels)
        found += len(masks)
        for mask, label in zip(masks, labels):
            assert (cls_map[mask] == label).all()  # one class region
            inside = [p for p in pts if int(p[2]) + 1 == label and mask[int(p[1]), int(p[0])]]
            assert len(inside) == 1
        if len(masks) > 1:  # disjoint regions
            overlap = np.logical_and(masks[:, None], masks[None]).sum(axis=(2, 3))
            assert not overlap[~np.eye(len(masks), dtype=bool)].any()
    assert found >= 5


def test_visualize_rows_with_a_model_prediction_and_blpseg_pseudo_label(tmp_path, tiny_synthetic):
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import mmwsss.seg  # noqa: F401
    from mmseg.registry import MODELS
    config = osp.join(REPO, 'configs/blpseg/blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112.py')
    init_default_scope('mmseg')
    model = MODELS.build(Config.fromfile(config).model)
    ckpt = tmp_path / 'blpseg.pth'
    classes = ('background', 'train', 'boat', 'aeroplane', 'sheep', 'bottle', 'tvmonitor')
    meta = dict(dataset_meta=dict(classes=classes, palette=[[i * 30, 0, 0] for i in range(7)]))
    torch.save({'state_dict': model.state_dict(), 'meta': meta}, ckpt)  # as the runner saves it
    out = tmp_path / 'vis'
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools/visualize.py'), tiny_synthetic, '--out', str(out),
                           '--num', '2', '--show', 'image', 'scribble', 'gt', '--model', config, str(ckpt),
                           '--layout', 'rows'], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ['figure.png']
    canvas = np.asarray(Image.open(out / 'figure.png'))
    assert canvas.shape == (2 * (64 + 12), 5 * 64, 3)  # image, scribble, gt, pseudo, pred; one row per image
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools/visualize.py'), tiny_synthetic, '--out', str(out),
                           '--show', 'image', 'model'], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode != 0 and '--model' in proc.stderr
