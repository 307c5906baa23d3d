"""BESTIE data side: dataset, transforms, point files, PAM peaks (BESTIE classifier.py; utils.py; run_image_labels.sh)."""
import random

import numpy as np
import pytest
import torch
from PIL import Image


@pytest.fixture(scope='module')
def det():
    import mmwsss.det  # noqa: F401
    return mmwsss.det


def _make_root(tmp_path, n=2, size=(48, 64)):
    h, w = size
    for d in ('JPEGImages', 'WSSS', 'Peak_points', 'SegmentationObject', 'ImageSets/Segmentation'):
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
    ids = [f'im{i}' for i in range(n)]
    for i in ids:
        Image.fromarray(np.full((h, w, 3), 100, np.uint8)).save(tmp_path / 'JPEGImages' / f'{i}.jpg')
        sem = np.zeros((h, w), np.uint8)
        sem[5:25, 5:25] = 2  # class 1, one component with one peak
        sem[30:45, 30:60] = 1  # class 0, two peaks → rejected
        Image.fromarray(sem).save(tmp_path / 'WSSS' / f'{i}.png')
        inst = np.zeros((h, w), np.uint8)
        inst[5:25, 5:25] = 1
        inst[30:45, 30:45] = 2
        inst[30:45, 45:60] = 3
        Image.fromarray(inst).save(tmp_path / 'SegmentationObject' / f'{i}.png')
        (tmp_path / 'Peak_points' / f'{i}.txt').write_text('10 10 1 0.900\n35 40 0 0.800\n50 40 0 0.950\n2 2 0 0.200\n')
    (tmp_path / 'ImageSets/Segmentation/train.txt').write_text('\n'.join(ids) + '\n')
    (tmp_path / 'ImageSets/Segmentation/train_cls.txt').write_text('\n'.join(f'{i} 0 1' for i in ids) + '\n')
    return tmp_path


def _dataset(det, root, pipeline, **kw):
    from mmdet.registry import DATASETS
    return DATASETS.build(dict(type='BestieVOCDataset', data_root=str(root), metainfo=dict(classes=('a', 'b')),
                               cls_label_file='ImageSets/Segmentation/train_cls.txt',
                               data_prefix=dict(img_path='JPEGImages', seg_map_path='WSSS', points_path='Peak_points',
                                                inst_map_path='SegmentationObject'),
                               pipeline=pipeline, **kw))


def test_dataset_and_targets_end_to_end(det, tmp_path):
    root = _make_root(tmp_path)
    pipe = [dict(type='LoadImageFromFile'), dict(type='LoadBestieAnnotations', with_inst=True),
            dict(type='GenerateBestieTargets', sup='cls', sigma=3, min_area=20), dict(type='PackBestieInputs')]
    ds = _dataset(det, root, pipe)
    assert len(ds) == 2 and ds.get_data_info(0)['img_labels'] == [0, 1]
    out = ds[0]
    s = out['data_samples']
    assert out['inputs'].shape == (3, 48, 64)
    assert s.gt_sem_seg.sem_seg.shape == (1, 48, 64)
    assert s.gt_center.data.shape == (2, 48, 64) and s.gt_offset.data.shape == (2, 48, 64)
    assert s.gt_img_labels.tolist() == [1, 1, 1]
    assert s.gt_points.shape == (3, 4)  # conf 0.2 dropped (only conf > 0.7 kept)
    w = s.gt_weight.data[0]
    assert w[5:25, 5:25].all() and w.sum() == 400  # only the single-peak component
    assert s.gt_center.data[1].max() == pytest.approx(1.0) and s.gt_center.data[0].max() == 0
    # oracle targets split the two touching class-0 instances
    pipe[2] = dict(type='GenerateBestieTargets', sup='full', sigma=3)
    s = _dataset(det, root, pipe)[0]['data_samples']
    assert s.gt_weight.data.sum() == 400 + 450
    assert s.gt_offset.data[1, 35, 44] == -7 and s.gt_offset.data[1, 35, 45] == 7  # centroids x 37 and 52


def test_dataset_errors(det, tmp_path):
    root = _make_root(tmp_path)
    (root / 'Peak_points' / 'im1.txt').unlink()
    with pytest.raises(FileNotFoundError, match='im1.txt'):
        _dataset(det, root, [])
    with pytest.raises(FileNotFoundError, match='nowhere'):
        _dataset(det, tmp_path / 'nowhere', [])


def test_ood_dataset_gives_all_negative_labels(det, tmp_path):
    from mmdet.registry import DATASETS
    root = _make_root(tmp_path)
    (root / 'ood').mkdir()
    for i in range(3):
        Image.fromarray(np.full((40, 40, 3), 30 * i, np.uint8)).save(root / 'ood' / f'o{i}.jpg')
    (root / 'ood_list.txt').write_text('# OoD images\no0.jpg\no1.jpg\n\no2.jpg\n')
    pipe = [dict(type='LoadImageFromFile'), dict(type='LoadBestieAnnotations', with_seg=False, with_points=False),
            dict(type='PackBestieInputs')]
    cfg = dict(type='BestieOoDDataset', data_root=str(root), ood_root='ood', metainfo=dict(classes=('a', 'b')),
               pipeline=pipe)
    ood = DATASETS.build(cfg)
    assert len(ood) == 3 and ood.get_data_info(2)['img_path'].endswith('ood/o2.jpg')
    s = ood[1]['data_samples']
    assert s.gt_img_labels.tolist() == [1, 0, 0]  # background only: every class is a negative
    mix = DATASETS.build(dict(type='ConcatDataset', datasets=[_dataset(det, root, pipe), cfg]))
    assert [mix[i]['data_samples'].gt_img_labels.tolist() for i in (0, 2)] == [[1, 1, 1], [1, 0, 0]]
    from mmwsss.det.models.pam import BestiePAMClassifier
    pam = BestiePAMClassifier(backbone=dict(type='BestieVGG16D1'), num_classes=2)
    assert pam._labels([s]).tolist() == [[0.0, 0.0]]
    with pytest.raises(FileNotFoundError, match='OoD image root'):
        DATASETS.build(dict(cfg, ood_root='nowhere'))
    (root / 'ood' / 'o1.jpg').unlink()
    with pytest.raises(FileNotFoundError, match='o1.jpg'):
        DATASETS.build(cfg)
    (root / 'ood_list.txt').write_text('# nothing\n')
    with pytest.raises(ValueError, match='ood_list.txt: OoD list is empty'):
        DATASETS.build(cfg)


def test_geometric_transforms_move_points(det):
    from mmwsss.det.datasets.transforms import BestieRandomCrop, BestieRandomFlip, BestieResize
    img = np.zeros((375, 500, 3), np.uint8)
    seg = np.zeros((375, 500), np.uint8)
    seg[100, 200] = 3
    r = dict(img=img, gt_seg_map=seg, seg_fields=['gt_seg_map'], gt_points=np.array([[200, 100, 2, 1.0]], np.float32))
    r = BestieResize(long_side=449, size_divisor=32, plus_one=True)(r)
    assert r['img'].shape[:2] == (353, 449) and r['gt_seg_map'].shape == (353, 449)
    assert r['gt_points'][0, :2].tolist() == [int(200 * 449 / 500), int(100 * 353 / 375)]
    r = BestieRandomFlip(prob=1.0)(r)
    x = r['gt_points'][0, 0]
    assert x == 449 - int(200 * 449 / 500) - 1
    y = int(r['gt_points'][0, 1])
    assert r['gt_seg_map'][y - 1:y + 2, int(x) - 1:int(x) + 2].max() == 3  # map and point moved together
    r = BestieRandomCrop(crop_size=(500, 500))(r)  # pad only: the point survives, map padded with 0
    assert r['img'].shape[:2] == (500, 500) and len(r['gt_points']) == 1
    p = r['gt_points'][0]
    assert r['gt_seg_map'][int(p[1]) - 1:int(p[1]) + 2, int(p[0]) - 1:int(p[0]) + 2].max() == 3
    r = BestieRandomCrop(crop_size=(10, 10))(dict(img=np.zeros((50, 50, 3), np.uint8), seg_fields=[],
                                                  gt_points=np.array([[0, 0, 0, 1], [49, 49, 0, 1]], np.float32)))
    assert r['img'].shape[:2] == (10, 10) and len(r['gt_points']) <= 1
    t = BestieResize(long_side=None, size_divisor=32)(dict(img=np.zeros((100, 130, 3), np.uint8)))
    assert t['img'].shape[:2] == (128, 160)


def test_point_files_roundtrip_and_errors(det, tmp_path):
    from mmwsss.datasets.points import read_points, write_points
    write_points(str(tmp_path / 'a.txt'), [(3, 4, 1, 0.91234), (5, 6, 0, 0.5)])
    assert (tmp_path / 'a.txt').read_text() == '3 4 1 0.912\n5 6 0 0.500\n'
    assert read_points(str(tmp_path / 'a.txt'), conf_thr=0.7).tolist() == [[3, 4, 1, pytest.approx(0.912)]]
    (tmp_path / 'b.txt').write_text('1 2 x 1\n')
    with pytest.raises(ValueError, match='b.txt:1'):
        read_points(str(tmp_path / 'b.txt'))
    (tmp_path / 'c.txt').write_text('1 2 7 1\n')
    with pytest.raises(ValueError, match='class 7'):
        read_points(str(tmp_path / 'c.txt'), num_classes=2)


def test_pam_and_peak_extraction(det):
    from mmwsss.det.stages.peaks import extract_peaks, normalised_cams
    from mmwsss.det.models.pam import BestiePAMClassifier, BestieVGG16D1, peak_attention
    x = torch.tensor([[[[1.0, 2.0], [3.0, 10.0]]], [[[-1.0, 0.5], [0.6, 0.2]]]])
    y = peak_attention(x, 0.7)
    assert y[0, 0].tolist() == [[0, 0], [0, 10]]
    assert torch.allclose(y[1, 0], torch.tensor([[0, 0.5], [0.6, 0]]))  # < 0.7 × 0.6 = 0.42 zeroed
    vgg = BestieVGG16D1()
    assert vgg(torch.zeros(1, 3, 64, 64))[0].shape == (1, 512, 8, 8)
    assert [k for k in vgg.state_dict()][:2] == ['features.0.weight', 'features.0.bias']
    assert 'features.28.weight' in vgg.state_dict()  # torchvision layout
    pam = BestiePAMClassifier(backbone=dict(type='BestieVGG16D1'), num_classes=3)
    from mmdet.structures import DetDataSample
    s = DetDataSample()
    s.gt_img_labels = torch.tensor([1.0, 0.0, 1.0, 0.0])
    loss = pam(torch.randn(1, 3, 32, 32), [s], mode='loss')['loss_cls']
    assert torch.isfinite(loss) and loss.requires_grad
    ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing='ij')
    g = lambda y, x: torch.exp(-((ys - y)**2 + (xs - x)**2) / 8)  # noqa: E731
    cam = torch.zeros(3, 32, 32)
    cam[1] = 5 * g(9, 10) + 4 * g(25, 24)
    cam[2] = 9 * g(16, 16)  # absent class: ignored
    cams = normalised_cams(cam, (32, 32), [1])
    assert cams.shape == (3, 32, 32) and cams[2].max() == 0
    peaks = extract_peaks(cams, [1], kernel=15, topk=25, conf_thresh=0.1)
    assert [p[:3] for p in peaks] == [(10, 9, 1), (24, 25, 1)]
    assert 0.8 < peaks[0][3] <= 1 and peaks[1][3] == pytest.approx(0.8 * peaks[0][3], rel=0.05)
    assert extract_peaks(cams, [1], kernel=15, topk=1)[0][:2] == (10, 9)  # top-k per class
    assert extract_peaks(cams, [1], kernel=41)[0][:2] == (10, 9) and len(extract_peaks(cams, [1], kernel=41)) == 1


def test_peak_quality_counts_the_target_rule(det, tmp_path):
    """eval_peaks: hits on the own class, components with exactly one cue (accepted) vs 0 / several."""
    import json
    import os.path as osp
    import sys
    root = _make_root(tmp_path)
    sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'tools', 'bestie'))
    from eval_peaks import main
    res = main(['--data-root', str(root), '--seg-dir', 'WSSS', '--min-area', '20'])
    # per image: 3 cues above 0.7, all on their class; the class-1 square (400 px) has one cue (accepted),
    # the class-0 bar (450 px) two (rejected)
    assert (res['images'], res['points'], res['hits']) == (2, 6, 6)
    assert (res['components'], res['comp_1'], res['comp_many'], res['comp_0']) == (4, 2, 2, 0)
    assert res['accepted_fg_share'] == pytest.approx(100 * 800 / 1700, abs=0.01)
    assert json.load(open(root / 'Peak_points' / 'cue_eval.json'))['accepted_rate'] == 50.0
    # every cue: the 0.2 one at (2, 2) lies on background, so it is a miss and joins no component
    res = main(['--data-root', str(root), '--seg-dir', 'WSSS', '--conf-thr', '-1', '--out', str(tmp_path / 'a.json')])
    assert (res['points'], res['hits'], res['comp_1']) == (8, 6, 2)
    # a component below min area gets no targets and is not counted
    assert main(['--data-root', str(root), '--seg-dir', 'WSSS', '--min-area', '420',
                 '--out', str(tmp_path / 'b.json')])['components'] == 2
    (root / 'WSSS' / 'im1.png').unlink()
    with pytest.raises(FileNotFoundError, match='im1.png'):
        main(['--data-root', str(root), '--seg-dir', 'WSSS', '--out', str(tmp_path / 'c.json')])


def test_cached_loading_gives_the_samples_of_the_uncached_pipeline(det, tmp_path):
    """``cache_mb`` on the loaders (LoadWSSSImage in the mmdet scope, LoadBestieAnnotations): the same samples, each
    file decoded once; point arrays and maps handed out are copies."""
    root = _make_root(tmp_path, n=3)
    plain = [dict(type='LoadImageFromFile'), dict(type='LoadBestieAnnotations', with_inst=True),
             dict(type='BestieRandomFlip', prob=0.5),
             dict(type='GenerateBestieTargets', sup='cls', sigma=3, min_area=20), dict(type='PackBestieInputs')]
    cached = [dict(type='LoadWSSSImage', cache_mb=1), dict(type='LoadBestieAnnotations', with_inst=True, cache_mb=1)]
    cached += plain[2:]
    runs = []
    for pipe in (plain, cached):
        ds = _dataset(det, root, pipe)
        np.random.seed(0)
        random.seed(0)
        runs.append([ds[i % 3] for i in range(9)])
    for a, b in zip(*runs):
        assert torch.equal(a['inputs'], b['inputs'])
        for key in ('gt_center', 'gt_offset', 'gt_weight'):
            assert torch.equal(getattr(a['data_samples'], key).data, getattr(b['data_samples'], key).data)
        assert torch.equal(a['data_samples'].gt_sem_seg.sem_seg, b['data_samples'].gt_sem_seg.sem_seg)
        np.testing.assert_array_equal(a['data_samples'].gt_points, b['data_samples'].gt_points)
    load = ds.pipeline.transforms[1]
    assert type(ds.pipeline.transforms[0]).__name__ == 'LoadWSSSImage'
    assert (load.cache.misses, load.cache.hits) == (9, 18)  # seg, instance and point file of 3 images, read 3 times
    # a cached map is still checked against the image it comes with
    info = ds.get_data_info(0)
    with pytest.raises(ValueError, match='map size .* differs from the image size'):
        load(dict(info, img=np.zeros((10, 10, 3), np.uint8)))
