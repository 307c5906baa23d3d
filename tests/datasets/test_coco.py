"""COCO: instance json (official format) -> semantic label PNGs + image labels; split-restricted CocoDataset."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# three categories with the real ids' gaps: 1 person, 18 dog, 90 toothbrush -> labels 1, 2, 3
CATS = [dict(id=1, name='person', supercategory='person'), dict(id=18, name='dog', supercategory='animal'),
        dict(id=90, name='toothbrush', supercategory='indoor')]


def _rle(mask):
    from pycocotools import mask as mask_utils
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    r['counts'] = r['counts'].decode('ascii')
    return r


def _uncompressed_rle(mask):
    flat = mask.astype(np.uint8).flatten(order='F')
    counts, val, run = [], 0, 0
    for v in flat:
        if v == val:
            run += 1
        else:
            counts.append(run)
            val, run = v, 1
    counts.append(run)
    return dict(size=list(mask.shape), counts=counts)


def write_coco_fixture(root, split='train2014'):
    """Two images with a polygon, a compressed RLE and a crowd (uncompressed RLE), one image without objects."""
    img_dir = osp.join(root, split)
    os.makedirs(img_dir, exist_ok=True)
    images = []
    for i, (h, w) in enumerate([(20, 30), (24, 16), (10, 10)], 1):
        name = f'COCO_{split}_{i:012d}.jpg'
        Image.fromarray(np.full((h, w, 3), 40 * i, np.uint8)).save(osp.join(img_dir, name))
        images.append(dict(id=i, file_name=name, height=h, width=w))
    big = np.zeros((20, 30), bool)
    big[2:18, 2:28] = True
    small = np.zeros((20, 30), bool)
    small[5:9, 5:9] = True
    crowd = np.zeros((24, 16), bool)
    crowd[0:6, :] = True
    anns = [
        dict(id=1, image_id=1, category_id=18, segmentation=_rle(big), area=int(big.sum()), bbox=[2, 2, 26, 16],
             iscrowd=0),
        # a polygon (x, y pairs) covering the small square, lying on the dog
        dict(id=2, image_id=1, category_id=1, segmentation=[[5, 5, 9, 5, 9, 9, 5, 9]], area=16.0,
             bbox=[5, 5, 4, 4], iscrowd=0),
        dict(id=3, image_id=2, category_id=90, segmentation=_uncompressed_rle(crowd), area=int(crowd.sum()),
             bbox=[0, 0, 16, 6], iscrowd=1),
    ]
    path = osp.join(root, 'annotations', f'instances_{split}.json')
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=CATS), f)
    return path, img_dir


def test_label_map_ranks_category_ids():
    from mmwsss.datasets.coco import COCO_CLASSES, coco_label_map
    assert coco_label_map(CATS) == {1: 1, 18: 2, 90: 3}
    # the official 80 categories: ids 1..90 with 10 unused -> labels 1..80, in COCO_CLASSES order
    ids = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]
    m = coco_label_map([dict(id=i) for i in ids])
    assert len(COCO_CLASSES) == 81 and sorted(m.values()) == list(range(1, 81)) and m[90] == 80 and m[13] == 12


def test_convert_writes_labels_splits_and_resumes(tmp_path):
    from mmwsss.datasets.coco import convert_coco_semantic
    ann, img_dir = write_coco_fixture(str(tmp_path / 'coco'))
    out = str(tmp_path / 'wsss')
    counts = convert_coco_semantic(ann, img_dir, out, 'train', progress=False)
    assert counts == dict(images=3, written=3, skipped=0, empty=1)
    lab = np.asarray(Image.open(osp.join(out, 'SegmentationClass', 'COCO_train2014_000000000001.png')))
    assert lab.shape == (20, 30)
    assert lab[10, 20] == 2 and lab[6, 6] == 1 and lab[0, 0] == 0  # the person stays on top of the dog
    crowd = np.asarray(Image.open(osp.join(out, 'SegmentationClass', 'COCO_train2014_000000000002.png')))
    assert (crowd[:6] == 3).all() and (crowd[6:] == 0).all()
    sets = osp.join(out, 'ImageSets', 'Segmentation')
    assert open(osp.join(sets, 'train.txt')).read().split() == [f'COCO_train2014_{i:012d}' for i in (1, 2, 3)]
    assert open(osp.join(sets, 'train_cls.txt')).read().splitlines() == [
        'COCO_train2014_000000000001 0 1', 'COCO_train2014_000000000002 2', 'COCO_train2014_000000000003']
    assert osp.isfile(osp.join(out, 'JPEGImages', 'COCO_train2014_000000000001.jpg'))
    again = convert_coco_semantic(ann, img_dir, out, 'train', progress=False)
    assert again['skipped'] == 3 and again['written'] == 0
    assert not [f for f in os.listdir(osp.join(out, 'SegmentationClass')) if f.endswith('.tmp')]


def test_converted_dataset_reads_with_the_coco_classes(tmp_path):
    from mmwsss.datasets import WSSSCOCODataset
    from mmwsss.datasets.coco import convert_coco_semantic
    ann, img_dir = write_coco_fixture(str(tmp_path / 'coco'))
    out = str(tmp_path / 'wsss')
    convert_coco_semantic(ann, img_dir, out, 'train', progress=False)
    ds = WSSSCOCODataset(data_root=out, ann_file='ImageSets/Segmentation/train.txt',
                         cls_label_file='ImageSets/Segmentation/train_cls.txt',
                         metainfo=dict(classes=('person', 'dog', 'toothbrush')))
    assert ds.metainfo['classes'] == ('background', 'person', 'dog', 'toothbrush')
    assert ds.get_data_info(0)['img_labels'] == [0, 1]
    full = WSSSCOCODataset(data_root=out, ann_file='ImageSets/Segmentation/train.txt')
    assert len(full.metainfo['classes']) == 81 and len(full.metainfo['palette']) == 81


@pytest.mark.parametrize('break_it, match', [
    (lambda d: d.pop('categories'), 'no "categories" list'),
    (lambda d: d['images'][1].pop('file_name'), r"images\[1\] \(id 2\) has no 'file_name'"),
    (lambda d: d['annotations'][0].pop('category_id'), r"annotations\[0\] \(id 1\) has no 'category_id'"),
    (lambda d: d['annotations'][0].update(category_id=12), r'annotations\[0\].*category_id 12, not among'),
    (lambda d: d['annotations'][2].pop('segmentation'), r'annotations\[2\].*has no "segmentation"'),
    (lambda d: d['annotations'][1].update(image_id=77), r'image_id 77'),
])
def test_bad_json_names_the_file(tmp_path, break_it, match):
    """One error type for every problem, from the converter, the image-label tool and both mmdet datasets."""
    from mmwsss.datasets.coco import COCOFormatError, convert_coco_semantic, load_coco_json
    ann, img_dir = write_coco_fixture(str(tmp_path / 'coco'))
    data = json.load(open(ann))
    break_it(data)
    with open(ann, 'w') as f:
        json.dump(data, f)
    with pytest.raises(COCOFormatError, match=match) as e:
        convert_coco_semantic(ann, img_dir, str(tmp_path / 'out'), 'train', progress=False)
    assert e.value.path == ann and str(e.value).startswith(ann + ': ')
    if 'segmentation' not in match:  # image labels and boxes-only detection need no masks
        with pytest.raises(COCOFormatError, match=match):
            load_coco_json(ann)
        from mmwsss.det.datasets import CheckedCocoDataset
        with pytest.raises(COCOFormatError, match=match):
            CheckedCocoDataset(data_root=str(tmp_path / 'coco'), ann_file=ann, with_mask=False, pipeline=[],
                               data_prefix=dict(img='train2014/'), metainfo=dict(classes=('person', 'dog')))
    else:
        assert load_coco_json(ann)['annotations'][2].get('segmentation') is None


def _tool(name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'tools/dataset_converters', name + '.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_converter_tool_and_cls_labels_tool(tmp_path, capsys):
    ann, img_dir = write_coco_fixture(str(tmp_path / 'coco'))
    out = str(tmp_path / 'wsss')
    _tool('coco_wsss').main([ann, img_dir, out, '--split', 'train', '--no-progress'])
    assert 'train: 3 images (3 written, 0 already done, 1 without annotations)' in capsys.readouterr().out
    # image labels again, from the masks and from the json: the same file
    with open(osp.join(out, 'classes.txt'), 'w') as f:
        f.write('person\ndog\ntoothbrush\n')
    cls_tool = _tool('make_cls_labels')
    for args in (['--mask-dir', 'SegmentationClass', '--out', 'm_cls.txt'], ['--coco', ann, '--out', 'c_cls.txt']):
        cls_tool.main([out, '--split', 'ImageSets/Segmentation/train.txt'] + args)
    ref = open(osp.join(out, 'ImageSets/Segmentation/train_cls.txt')).read()
    assert open(osp.join(out, 'm_cls.txt')).read() == ref == open(osp.join(out, 'c_cls.txt')).read()
    # a mask value beyond the class list names the file
    with open(osp.join(out, 'classes.txt'), 'w') as f:
        f.write('person\n')
    with pytest.raises(ValueError, match=r'COCO_train2014_000000000001.png: values \[2\] outside the 2 classes'):
        cls_tool.main([out, '--split', 'ImageSets/Segmentation/train.txt', '--mask-dir', 'SegmentationClass'])


def test_split_coco_dataset_reads_only_the_split(tmp_path):
    from mmdet.registry import DATASETS  # noqa: F401

    from mmwsss.det.datasets import SplitCocoDataset
    ann, img_dir = write_coco_fixture(str(tmp_path / 'coco'))
    root = str(tmp_path / 'coco')
    with open(osp.join(root, 'val.txt'), 'w') as f:
        f.write('COCO_train2014_000000000002\n')
    ds = SplitCocoDataset(data_root=root, ann_file=ann, split_file='val.txt', data_prefix=dict(img='train2014/'),
                          metainfo=dict(classes=('background', 'person', 'dog', 'toothbrush')),
                          filter_cfg=dict(filter_empty_gt=False), pipeline=[])
    assert len(ds) == 1 and ds.get_data_info(0)['img_id'] == 2
    assert ds.metainfo['classes'] == ('person', 'dog', 'toothbrush')
    with open(osp.join(root, 'val.txt'), 'w') as f:
        f.write('COCO_train2014_000000000009\n')
    with pytest.raises(ValueError, match=r'val.txt: 1 images are not in .*instances_train2014.json'):
        SplitCocoDataset(data_root=root, ann_file=ann, split_file='val.txt', data_prefix=dict(img='train2014/'),
                         metainfo=dict(classes=('person', 'dog', 'toothbrush')), pipeline=[])
    with pytest.raises(ValueError, match=r"instances_train2014.json: classes \['cat'\] of metainfo"):
        SplitCocoDataset(data_root=root, ann_file=ann, data_prefix=dict(img='train2014/'),
                         metainfo=dict(classes=('person', 'cat')), pipeline=[])


@pytest.mark.parametrize('name', ['wood/cam_r50-d16_1xb16-5e_coco2014-512x512.py',
                                  'wood/irn_r50-d16_1xb32-3e_coco2014-512x512.py',
                                  'wood/wood_r50-d16_1xb16-5e_coco2014-512x512.py',
                                  'sec/sec_vgg16-largefov_1xb15-8k_coco2014-321x321.py'])
def test_coco2014_method_configs_read_coco_everywhere(name):
    """Every dataset of a COCO-2014 method config (hook loaders and the OoD set included) reads the COCO folder with
    the 81 classes, and every head predicts 81."""
    import re

    from mmwsss.utils.config import load_config
    cfg = load_config(osp.join(REPO, 'configs', name))
    text = cfg.pretty_text
    assert set(re.findall(r"data_root='([^']+)'", text)) == {'data/coco2014_wsss'}
    assert set(re.findall(r'num_classes=(\d+)', text)) <= {'81'} and cfg.num_classes == 81
    assert "type='WSSSVOCDataset'" not in text
    assert "ann_file='ImageSets/Segmentation/train_aug.txt'" not in text
