"""Bad BESTIE / COCO inputs in their real formats: the error names the file."""
import json

import numpy as np
import pytest
from PIL import Image

from .test_bestie_pipeline import _dataset, _make_root


@pytest.fixture(scope='module')
def det():
    import mmwsss.det  # noqa: F401
    return mmwsss.det


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def test_truncated_wsss_png_names_the_file(det, tmp_path):
    root = _make_root(tmp_path)
    big = np.random.default_rng(0).integers(0, 3, (48, 64), dtype=np.uint8)  # incompressible enough to cut
    Image.fromarray(big).save(root / 'WSSS' / 'im1.png')
    _truncate(root / 'WSSS' / 'im1.png')
    ds = _dataset(det, root, [dict(type='LoadImageFromFile'), dict(type='LoadBestieAnnotations')])
    ds[0]  # the intact one loads
    with pytest.raises(ValueError, match=r'WSSS/im1\.png: cannot decode label map .*truncated or corrupt'):
        ds[1]


def _coco(tmp_path, coco):
    path = tmp_path / 'annotations' / 'instances.json'
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(coco))
    return path


def test_coco_json_without_images_or_file_name(det, tmp_path):
    root = _make_root(tmp_path)
    path = _coco(root, dict(annotations=[], categories=[]))
    with pytest.raises(det.datasets.COCOFormatError, match=r'instances\.json: no "images" list'):
        _dataset(det, root, [], coco_ann_file='annotations/instances.json')
    _coco(root, dict(images=[dict(id=1, file_name='im0.jpg', height=48, width=64), dict(id=2, height=48, width=64)],
                     annotations=[], categories=[]))
    with pytest.raises(det.datasets.COCOFormatError,
                       match=r'instances\.json: images\[1\] \(id 2\) has no \'file_name\''):
        _dataset(det, root, [], coco_ann_file='annotations/instances.json')
    path.write_text('{"images": [')  # cut mid-file
    with pytest.raises(det.datasets.COCOFormatError, match=r'instances\.json: not valid JSON'):
        _dataset(det, root, [], coco_ann_file='annotations/instances.json')


def test_coco_annotations_without_segmentation(det, tmp_path):
    from mmdet.registry import DATASETS
    root = _make_root(tmp_path)
    images = [dict(id=1, file_name='im0.jpg', height=48, width=64)]
    poly = [[5, 5, 25, 5, 25, 25, 5, 25]]
    anns = [dict(id=1, image_id=1, category_id=1, bbox=[5, 5, 20, 20], area=400, iscrowd=0, segmentation=poly),
            dict(id=2, image_id=1, category_id=2, bbox=[30, 30, 30, 15], area=450, iscrowd=0)]
    cats = [dict(id=1, name='a'), dict(id=2, name='b')]
    _coco(root, dict(images=images, annotations=anns, categories=cats))
    cfg = dict(type='CheckedCocoDataset', data_root=str(root), ann_file='annotations/instances.json',
               metainfo=dict(classes=('a', 'b')), data_prefix=dict(img='JPEGImages/'), pipeline=[])
    with pytest.raises(det.datasets.COCOFormatError,
                       match=r'instances\.json: annotations\[1\] \(id 2, image 1\) has no "segmentation"'):
        DATASETS.build(cfg)
    anns[1]['segmentation'] = poly
    _coco(root, dict(images=images, annotations=anns, categories=cats))
    ds = DATASETS.build(cfg)
    assert len(ds) == 1 and len(ds.get_data_info(0)['instances']) == 2
    # boxes-only training (with_mask=False) accepts a json without masks
    del anns[1]['segmentation']
    _coco(root, dict(images=images, annotations=anns, categories=cats))
    assert len(DATASETS.build(dict(cfg, with_mask=False))) == 1
