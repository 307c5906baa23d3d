"""SEC cue format, dataset, alignment through resize/flip, and cue generation rules (SEC training/localization_cues)."""
import gzip
import pickle

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from mmwsss.models.segmentors import SECSaliencyClassifier
from mmwsss.stages.sec_cues import CueQuality, bg_cues_from_saliency, fg_cues_from_cams, merge_cues
from mmwsss.datasets.sec_cues import (SECCueDataset, cues_to_dense, dense_to_cues, load_sec_cue_file,
                                      read_input_list, save_sec_cue_file, write_input_list)
from mmwsss.datasets.transforms.sec_cues import LoadSECCues, upsample_cue_grid

CLASSES = ('background', 'a', 'b', 'c')


def test_format_roundtrip_and_python2_style_pickle(tmp_path):
    cues = {'0_labels': np.array([2]), '0_cues': np.array([[0, 0, 2], [0, 1, 3], [1, 1, 4]]),
            '1_labels': np.array([1, 3]), '1_cues': np.zeros((3, 0), dtype=np.int64)}
    path = str(tmp_path / 'localization_cues.pickle.gz')
    save_sec_cue_file(path, cues)
    with gzip.open(path, 'rb') as f:  # protocol 2 = readable by SEC's Python 2 code
        assert f.read(2) == b'\x80\x02'
    back = load_sec_cue_file(path)
    assert set(back) == set(cues)
    for k in cues:
        assert back[k].dtype == np.int64 and np.array_equal(back[k], cues[k])
    # a file written by Python 2 (latin1 strings) loads too
    p2 = tmp_path / 'py2.pickle.gz'
    with gzip.open(p2, 'wb') as f:
        pickle.dump({'5_labels': np.array([1], dtype=np.int64), '5_cues': np.array([[0], [1], [2]])}, f, protocol=2)
    assert load_sec_cue_file(str(p2))['5_cues'].shape == (3, 1)


def test_format_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pickle.gz'):
        load_sec_cue_file(str(tmp_path / 'nope.pickle.gz'))
    bad = tmp_path / 'bad.pickle.gz'
    with gzip.open(bad, 'wb') as f:
        pickle.dump({'0_cues': np.zeros((2, 5))}, f)
    with pytest.raises(ValueError, match=r'bad.pickle.gz.*\(3, K\)'):
        load_sec_cue_file(str(bad))
    notgz = tmp_path / 'plain.pickle.gz'
    notgz.write_bytes(b'not gzip')
    with pytest.raises(ValueError, match='plain.pickle.gz'):
        load_sec_cue_file(str(notgz))


def test_input_list(tmp_path):
    p = tmp_path / 'input_list.txt'
    write_input_list(str(p), ['2008_007028', '2007_000032'])
    assert p.read_text() == '2008_007028.jpg 0\n2007_000032.jpg 1\n'
    assert list(read_input_list(str(p)).items()) == [('2008_007028', 0), ('2007_000032', 1)]
    p.write_text('a.jpg 0\nb.jpg x\n')
    with pytest.raises(ValueError, match=r'input_list.txt:2'):
        read_input_list(str(p))


def test_dense_sparse_roundtrip_and_range_check():
    rng = np.random.default_rng(0)
    dense = (rng.random((4, 6, 5)) < 0.2).astype(np.uint8)
    sparse = dense_to_cues(dense)
    assert sparse.shape[0] == 3 and sparse.dtype == np.int64
    assert np.array_equal(cues_to_dense(sparse, 4, (6, 5)), dense)
    with pytest.raises(ValueError, match='outside'):
        cues_to_dense(np.array([[4], [0], [0]]), 4, (6, 5))
    with pytest.raises(ValueError, match='outside'):
        cues_to_dense(np.array([[1], [6], [0]]), 4, (6, 5))


@pytest.mark.parametrize('ori', [(500, 375), (333, 500), (321, 321)])
def test_cue_grid_survives_warp_and_flip(ori):
    """Paint 41x41 cues on the original image, warp to 321 (nearest), optionally flip, read back at cell centres."""
    rng = np.random.default_rng(1)
    dense = (rng.random((3, 41, 41)) < 0.3).astype(np.uint8)
    field = upsample_cue_grid(dense, ori)
    assert field.shape == ori + (3, )
    warped = cv2.resize(field, (321, 321), interpolation=cv2.INTER_NEAREST)
    for flip in (False, True):
        img = warped[:, ::-1] if flip else warped
        t = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None].float()
        back = F.interpolate(t, size=(41, 41), mode='nearest-exact')[0].numpy().astype(np.uint8)
        expected = dense[:, :, ::-1] if flip else dense
        assert np.array_equal(back, expected)


def test_fg_bg_cue_rules():
    cams = np.zeros((3, 4, 4))
    cams[0] = np.arange(16).reshape(4, 4)  # class 1: max 15, thr 3 -> values > 3
    cams[2, 0, 0] = 5.0  # class 3 absent: must get no cue
    fg = fg_cues_from_cams(cams, [1], thr=0.2)
    assert fg.shape == (4, 4, 4) and not fg[0].any() and not fg[3].any()
    assert fg[1].sum() == 12 and not fg[1].ravel()[:4].any()
    with pytest.raises(ValueError, match='label'):
        fg_cues_from_cams(cams, [4])
    sal = np.arange(100, dtype=float).reshape(10, 10)
    bg = bg_cues_from_saliency(sal, 0.1)  # value at index 10 = 10 -> 0..9
    assert bg.sum() == 10 and bg.ravel()[:10].all()
    # SEC's 41x41 grid: at most floor(0.1 * 1681) = 168 bg cues
    assert bg_cues_from_saliency(np.random.default_rng(0).random((41, 41))).sum() == 168


def test_merge_rule_fg_priority_and_conflicts():
    fg = np.zeros((3, 1, 4), dtype=bool)
    fg[1, 0, :3] = True  # class 1 at x = 0, 1, 2
    fg[2, 0, 2:] = True  # class 2 at x = 2, 3 -> conflict at x = 2
    bg = np.ones((1, 4), dtype=bool)
    cams = np.array([[[1.0, 1.0, 0.9, 0.0]], [[0.0, 0.0, 0.5, 1.0]]])
    drop = merge_cues(fg, bg, 'drop')
    assert drop[:, 0].tolist() == [[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1]]
    assert drop.sum(0).max() == 1  # no pixel carries two labels
    best = merge_cues(fg, bg, 'max', cams)  # x = 2: 0.9/1 for class 1 beats 0.5/1 for class 2
    assert best[:, 0].tolist() == [[0, 0, 0, 0], [1, 1, 1, 0], [0, 0, 0, 1]]
    only_bg = merge_cues(np.zeros((3, 1, 4), bool), bg)
    assert only_bg[0].all()
    with pytest.raises(ValueError, match='fg_conflict'):
        merge_cues(fg, bg, 'vote')


def test_cue_quality_numbers():
    dense = np.zeros((3, 2, 2), dtype=np.uint8)
    dense[0, 0, 0] = 1  # bg cue on bg: correct
    dense[1, 0, 1] = 1  # fg cue on class 2: wrong
    dense[2, 1, 1] = 1  # fg cue on class 2: correct
    gt = np.array([[0, 0, 2, 2], [0, 0, 2, 2], [1, 1, 2, 2], [1, 1, 255, 2]], dtype=np.uint8)
    q = CueQuality()
    q.update(dense, gt)
    s = q.summary()
    assert s['precision_bg'] == 1.0 and s['precision_fg'] == 0.5
    assert s['precision_all'] == pytest.approx(2 / 3)
    assert s['coverage_all'] == 0.75 and s['coverage_bg'] == 0.25
    assert 'precision' in q.format()


def test_saliency_classifier_grid_and_gradient():
    m = SECSaliencyClassifier(dict(type='VGG16LargeFOV', arch='cam', with_fc=False, out_indices=(2, 4)), 512, 3, 0)
    m.init_weights()
    m.eval()
    x = torch.randn(2, 3, 65, 65)
    assert m.forward_logits(x).shape == (2, 3)
    sal = m.saliency(x)
    assert sal.shape == (2, 9, 9) and (sal >= 0).all() and sal.max() > 0


def _make_root(tmp_path, n=3, size=(40, 30)):
    root = tmp_path / 'voc'
    for d in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation', 'sec_cues'):
        (root / d).mkdir(parents=True)
    names = [f'img{i}' for i in range(n)]
    rng = np.random.default_rng(0)
    cues = {}
    for i, name in enumerate(names):
        Image.fromarray(rng.integers(0, 255, size + (3, ), dtype=np.uint8)).save(root / 'JPEGImages' / f'{name}.jpg')
        Image.fromarray(np.zeros(size, dtype=np.uint8)).save(root / 'SegmentationClass' / f'{name}.png')
        dense = np.zeros((4, 5, 5), dtype=np.uint8)
        dense[0, 0, :] = 1
        dense[i + 1, 2:4, 1:3] = 1
        cues[f'{i}_labels'] = np.array([i + 1])
        cues[f'{i}_cues'] = dense_to_cues(dense)
    (root / 'ImageSets/Segmentation/train.txt').write_text('\n'.join(names) + '\n')
    save_sec_cue_file(str(root / 'sec_cues/localization_cues.pickle.gz'), cues)
    write_input_list(str(root / 'sec_cues/input_list.txt'), names[::-1])  # ids need not follow the split order
    return root, names, cues


def test_dataset_and_transform_pipeline(tmp_path):
    from mmseg.utils import register_all_modules

    import mmwsss.datasets.transforms  # noqa: F401  (registers PackWSSSInputs, LoadWSSSImage)
    register_all_modules(init_default_scope=True)
    root, names, cues = _make_root(tmp_path)
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadSECCues'),
                dict(type='Resize', scale=(21, 21), keep_ratio=False), dict(type='RandomFlip', prob=1.0),
                dict(type='PackWSSSInputs')]
    ds = SECCueDataset(data_root=str(root), cue_file='sec_cues/localization_cues.pickle.gz',
                       input_list='sec_cues/input_list.txt', cue_size=5, metainfo=dict(classes=CLASSES),
                       pipeline=pipeline)
    assert len(ds) == 3
    info = ds.get_data_info(0)  # img0 has id 2 in the reversed input list
    assert np.array_equal(info['sec_cues'], cues['2_cues']) and info['img_labels'] == [2]
    out = ds[0]
    sample = out['data_samples']
    assert out['inputs'].shape == (3, 21, 21)
    assert sample.gt_cues.data.shape == (4, 21, 21)
    assert sample.gt_img_labels.tolist() == [1, 0, 0, 1]
    from mmwsss.models.heads.sec_head import cues_from_samples
    back = cues_from_samples([sample], (5, 5), 4)[0].numpy().astype(np.uint8)
    expected = cues_to_dense(cues['2_cues'], 4, (5, 5))[:, :, ::-1]  # flipped with the image
    assert np.array_equal(back, expected)


def test_dataset_errors(tmp_path):
    root, names, cues = _make_root(tmp_path)
    kw = dict(data_root=str(root), input_list='sec_cues/input_list.txt', cue_size=5, metainfo=dict(classes=CLASSES))
    with pytest.raises(FileNotFoundError, match='missing.pickle.gz'):
        SECCueDataset(cue_file='sec_cues/missing.pickle.gz', **kw)
    del cues['1_cues']
    save_sec_cue_file(str(root / 'sec_cues/bad.pickle.gz'), cues)
    with pytest.raises(ValueError, match=r'bad.pickle.gz.*1_cues'):
        SECCueDataset(cue_file='sec_cues/bad.pickle.gz', **kw)
    cues['1_cues'] = np.array([[1], [7], [0]])  # y outside the 5x5 grid
    save_sec_cue_file(str(root / 'sec_cues/bad2.pickle.gz'), cues)
    with pytest.raises(ValueError, match=r'bad2.pickle.gz.*outside'):
        SECCueDataset(cue_file='sec_cues/bad2.pickle.gz', **kw)
    with pytest.raises(KeyError, match='sec_cues'):
        LoadSECCues(num_classes=4).transform(dict(img=np.zeros((4, 4, 3)), img_path='x.jpg'))


def test_generate_cues_end_to_end(tmp_path):
    """Untrained tiny nets: the output has the original format, every labelled class has cues, no overlaps."""
    from mmseg.registry import MODELS

    import mmwsss.models  # noqa: F401
    from mmwsss.models.segmentors import CAMSaliency
    from mmwsss.stages.sec_cues import ImageLabelSet, generate_sec_cues
    root, names, _ = _make_root(tmp_path, n=3, size=(40, 40))
    paths = [str(root / 'JPEGImages' / f'{n}.jpg') for n in names]
    ds = ImageLabelSet(paths, [[0], [1], [0, 2]], 3, (33, 33), [128.0] * 3, [64.0] * 3)
    torch.manual_seed(0)
    cam = MODELS.build(dict(type='CAMClassifier', backbone=dict(type='VGG16LargeFOV', with_fc=False,
                                                                out_indices=(2, 4)),
                            num_classes=4, in_channels=512, freeze_bn=False)).eval()
    cam.classifier.weight.data.abs_()  # non-negative features x positive weights: every CAM has a positive peak
    gt = [str(root / 'SegmentationClass' / f'{n}.png') for n in names]
    cues, quality, grid = generate_sec_cues(cam, CAMSaliency(cam, 0), ds, names, gt_paths=gt, progress=False,
                                            batch_size=2)
    assert grid == (5, 5)
    assert sorted(cues) == sorted(f'{i}_{k}' for i in range(3) for k in ('labels', 'cues'))
    assert cues['2_labels'].tolist() == [1, 3]
    for i in range(3):
        dense = cues_to_dense(cues[f'{i}_cues'], 4, grid)
        assert dense.sum(0).max() <= 1  # merged: no pixel with two labels
        assert dense[0].sum() <= 2  # at most floor(0.1 * 25) lowest-saliency positions, minus fg wins
        for c in cues[f'{i}_labels']:
            if len(cues[f'{i}_labels']) == 1:  # no fg/fg conflict: the CAM peak is always a cue
                assert dense[c].sum() > 0
        assert not dense[[c for c in range(1, 4) if c not in cues[f'{i}_labels']]].any()  # absent: no cue
    assert 0 <= quality.summary()['precision_bg'] <= 1
    save_sec_cue_file(str(tmp_path / 'c.pickle.gz'), cues)
    assert load_sec_cue_file(str(tmp_path / 'c.pickle.gz')).keys() == cues.keys()
