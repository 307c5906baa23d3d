"""Any class list through ``metainfo``; the data-root rules of the embedded datasets."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from tests.conftest import write_voc_fixture

TOY = ('kettle', 'lamp', 'mug', 'plant', 'stool')


def _toy_root(tmp_path, num_classes=6):
    return write_voc_fixture(str(tmp_path / 'toy'), ids=('a', 'b', 'c', 'd', 'e'), num_classes=num_classes,
                             scribbles=True)


def test_voc_dataset_takes_any_class_list_without_remapping(tmp_path):
    from mmwsss.datasets import WSSSVOCDataset
    root = _toy_root(tmp_path)
    ds = WSSSVOCDataset(data_root=root, ann_file='ImageSets/Segmentation/train.txt',
                        cls_label_file='ImageSets/Segmentation/train_cls.txt', metainfo=dict(classes=TOY))
    assert ds.metainfo['classes'] == ('background', ) + TOY  # background prepended
    assert ds.label_map is None  # label value i is classes[i]: nothing remapped
    assert len(ds.metainfo['palette']) == 6 and ds.metainfo['palette'][0] == [0, 0, 0]
    info = ds.get_data_info(4)
    assert info['num_classes'] == 6 and info['img_labels'] == [4]
    # a subset of the VOC names is not a VOC subset selection either: value 1 stays class 1
    ds2 = WSSSVOCDataset(data_root=root, metainfo=dict(classes=('background', 'cat', 'dog', 'cow', 'sheep', 'bus')))
    assert ds2.label_map is None and ds2.metainfo['classes'][1] == 'cat'


def test_voc_dataset_class_list_errors(tmp_path):
    from mmwsss.datasets import WSSSVOCDataset
    root = _toy_root(tmp_path)
    with pytest.raises(ValueError, match='palette has 3 colours for 6 classes'):
        WSSSVOCDataset(data_root=root, metainfo=dict(classes=TOY, palette=[[1, 2, 3]] * 3))
    with pytest.raises(ValueError, match='duplicate class names'):
        WSSSVOCDataset(data_root=root, metainfo=dict(classes=('lamp', 'lamp')))
    # a label file whose indices exceed the class list names the file and line
    with pytest.raises(ValueError, match=r'train_cls.txt:4: class index \[3\] outside \[0, 2\]'):
        WSSSVOCDataset(data_root=root, cls_label_file='ImageSets/Segmentation/train_cls.txt',
                       metainfo=dict(classes=TOY[:3]))


def test_palette_for_foreground_only_list_gets_black_background(tmp_path):
    from mmwsss.datasets import WSSSVOCDataset
    pal = [[10, 20, 30], [40, 50, 60], [70, 80, 90], [1, 1, 1], [2, 2, 2]]
    ds = WSSSVOCDataset(data_root=_toy_root(tmp_path), metainfo=dict(classes=TOY, palette=pal))
    assert ds.metainfo['palette'] == [[0, 0, 0]] + pal


def test_bestie_dataset_drops_background(tmp_path):
    from mmdet.registry import DATASETS  # noqa: F401
    from mmwsss.det.datasets.bestie_dataset import BestieVOCDataset
    root = _toy_root(tmp_path)
    ds = BestieVOCDataset(data_root=root, ann_file='ImageSets/Segmentation/train.txt',
                          cls_label_file='ImageSets/Segmentation/train_cls.txt',
                          data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
                          metainfo=dict(classes=('background', ) + TOY))
    assert ds.metainfo['classes'] == TOY
    assert ds.get_data_info(4)['num_classes'] == 5 and ds.get_data_info(4)['img_labels'] == [4]


def test_scribble_unlabeled_to_inside_the_class_range_is_an_error(tmp_path):
    from mmwsss.datasets.transforms import LoadWSSSAnnotations
    root = _toy_root(tmp_path)
    t = LoadWSSSAnnotations(with_seg=False, extra_maps=('gt_scribble', ), scribble_unlabeled_to=3)
    res = dict(img_path=osp.join(root, 'JPEGImages/a.jpg'), num_classes=6, seg_fields=[], img_labels=None,
               gt_scribble_path=osp.join(root, 'Scribbles/a.png'))
    with pytest.raises(ValueError, match=r'Scribbles/a.png: scribble_unlabeled_to=3 is a class'):
        t(res)
    ok = LoadWSSSAnnotations(with_seg=False, extra_maps=('gt_scribble', ), scribble_unlabeled_to=6)(dict(res))
    assert set(np.unique(ok['gt_scribble']).tolist()) <= {0, 1, 2, 3, 4, 5, 6}


@pytest.mark.parametrize('meta, expected', [(None, 21), (['lamp', 'mug'], 3), (['background', 'lamp', 'mug'], 3)])
def test_num_classes_at_counts_background_once(tmp_path, meta, expected):
    from mmwsss.datasets.classes import num_classes_at
    if meta is not None:
        with open(tmp_path / 'meta.json', 'w') as f:
            json.dump(dict(classes=meta), f)
    assert num_classes_at(str(tmp_path)) == expected
    assert num_classes_at(str(tmp_path), given=9) == 9


def test_classes_txt(tmp_path):
    from mmwsss.datasets.classes import num_classes_at, read_dataset_classes
    (tmp_path / 'classes.txt').write_text('lamp\nmug\n\nstool\n')
    assert read_dataset_classes(str(tmp_path)) == ('lamp', 'mug', 'stool')
    assert num_classes_at(str(tmp_path)) == 4


# --- where the embedded datasets generate -----------------------------------------------------------------


def test_folder_with_split_files_is_used_as_is(tmp_path):
    """A user's dataset in the layout (no meta.json) is read, never regenerated or refused."""
    from mmwsss.datasets import SyntheticWSSSDataset
    root = _toy_root(tmp_path)
    before = sorted(os.listdir(root))
    ds = SyntheticWSSSDataset(data_root=root, metainfo=dict(classes=TOY))
    assert len(ds) == 5 and sorted(os.listdir(root)) == before


def test_mistyped_root_is_not_generated(tmp_path):
    from mmwsss.datasets import SyntheticWSSSDataset
    typo = str(tmp_path / 'synthtic')
    with pytest.raises(FileNotFoundError, match='does not exist.*make_synthetic.py') as e:
        SyntheticWSSSDataset(data_root=typo)
    assert 'overwrite' not in str(e.value)
    assert not osp.exists(typo)


def test_nonempty_folder_without_split_is_left_alone(tmp_path):
    from mmwsss.datasets import SyntheticWSSSDataset
    root = tmp_path / 'mine'
    root.mkdir()
    (root / 'notes.txt').write_text('mine')
    with pytest.raises(FileNotFoundError, match='train.txt: split file not found, and .* is not empty') as e:
        SyntheticWSSSDataset(data_root=str(root), generate=True)
    assert 'overwrite' not in str(e.value)
    assert os.listdir(root) == ['notes.txt']


def test_generate_true_fills_an_empty_folder(tmp_path):
    from mmwsss.datasets import SyntheticWSSSDataset
    root = tmp_path / 'empty'
    root.mkdir()
    cfg = dict(image_size=48, num_train=3, num_val=1, num_web_per_class=1, num_ood=1)
    ds = SyntheticWSSSDataset(data_root=str(root), generate=True, generator_cfg=cfg)
    assert len(ds) == 3 and osp.isfile(root / 'meta.json')
    with pytest.raises(ValueError, match="generate must be 'auto', True or False"):
        SyntheticWSSSDataset(data_root=str(tmp_path / 'x'), generate='yes')


def test_auto_generates_only_the_default_root(tmp_path, monkeypatch):
    from mmwsss.datasets import SyntheticWSSSDataset
    monkeypatch.chdir(tmp_path)
    cfg = dict(image_size=48, num_train=2, num_val=1, num_web_per_class=1, num_ood=1)
    ds = SyntheticWSSSDataset(generator_cfg=cfg)  # default data/synthetic, absent: generated
    assert len(ds) == 2 and osp.isfile(tmp_path / 'data/synthetic/meta.json')


def test_bestie_synthetic_follows_the_same_rules(tmp_path):
    from mmwsss.det.datasets.bestie_dataset import BestieSyntheticDataset
    with pytest.raises(FileNotFoundError, match='does not exist'):
        BestieSyntheticDataset(data_root=str(tmp_path / 'typo'))
    root = _toy_root(tmp_path)
    ds = BestieSyntheticDataset(data_root=root, metainfo=dict(classes=TOY),
                                data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'))
    assert len(ds) == 5 and not osp.isfile(osp.join(root, 'meta.json'))



def test_points_json_to_bestie_text(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'pj', osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                       'tools/dataset_converters/points_json2txt.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    (tmp_path / 'classes.txt').write_text('\n'.join(TOY) + '\n')
    (tmp_path / 'p.json').write_text(json.dumps({'a': [[3, 4, 2], [10.4, 1, 0, 0.5]], 'b': []}))
    mod.main([str(tmp_path), 'p.json'])
    assert (tmp_path / 'Center_points/a.txt').read_text() == '3 4 2 1.000\n10 1 0 0.500\n'
    assert (tmp_path / 'Center_points/b.txt').read_text() == ''
    (tmp_path / 'p.json').write_text(json.dumps({'a': [[3, 4, 5]]}))
    with pytest.raises(ValueError, match=r'p.json: a: class 5 outside \[0, 5\)'):
        mod.main([str(tmp_path), 'p.json'])


def test_class_frequency_weights(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'cf', osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                       'tools/analysis_tools/class_frequency.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    root = _toy_root(tmp_path)
    counts = mod.class_frequency(root, ['a', 'b', 'c', 'd', 'e'], 'SegmentationClass', 6)
    # every fixture mask: a 10x14 object of class 1 + i % 5 on 24x32, one void row of 14 pixels
    assert counts.tolist() == [5 * (24 * 32 - 140 - 14)] + [140] * 5
    freq, w = mod.balance_weights(counts, power=1.0)
    assert np.allclose((w * freq).sum(), 1.0)  # the pixel-weighted mean weight keeps the loss scale
    assert np.allclose(w[1:] / w[0], counts[0] / 140)  # full inverse frequency
    freq, w = mod.balance_weights(np.array([90, 10, 0]), power=0.5)
    assert w[2] == w[1] and w[1] / w[0] == pytest.approx(3.0)
