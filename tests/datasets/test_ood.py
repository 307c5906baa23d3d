"""OoD image dataset (ood_list.txt style) and the ID+OoD mixing wrapper."""
import os

import numpy as np
import pytest
import torch
from PIL import Image

PIPE = [dict(type='LoadWSSSImage'), dict(type='PackWSSSInputs')]


def _write_ood(root, names=('a.jpg', 'sub/b.jpg', 'g.jpg'), gray=('g.jpg', )):
    rng = np.random.default_rng(0)
    for n in names:
        p = os.path.join(root, 'OoD_images', n)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if n in gray:
            Image.fromarray(rng.integers(0, 255, (20, 30), dtype=np.uint8), mode='L').save(p)
        else:
            Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)).save(p)
    with open(os.path.join(root, 'ood_list.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n\n')
    return root


def _build(root, **kw):
    import mmwsss.seg  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    from mmwsss.datasets.ood import OoDImageDataset
    return OoDImageDataset(data_root=str(root), ood_list='ood_list.txt', ood_root='OoD_images', num_classes=21,
                           pipeline=PIPE, **kw)


def test_ood_dataset_reads_list_zero_labels_and_gray_to_rgb(tmp_path):
    ds = _build(_write_ood(str(tmp_path)))
    assert len(ds) == 3
    info = ds.get_data_info(1)
    assert info['img_path'].endswith(os.path.join('OoD_images', 'sub', 'b.jpg'))
    assert info['gt_img_labels'].shape == (21, ) and not info['gt_img_labels'].any()
    item = ds[2]  # the grayscale file
    assert item['inputs'].shape == (3, 20, 30)
    assert torch.equal(item['inputs'][0], item['inputs'][1])
    assert item['data_samples'].gt_img_labels.sum().item() == 0


def test_ood_dataset_errors_name_the_file(tmp_path):
    root = str(tmp_path)
    with pytest.raises(FileNotFoundError, match='ood_list.txt'):
        _build(root)
    _write_ood(root)
    with open(os.path.join(root, 'ood_list.txt'), 'a') as f:
        f.write('missing.jpg\n')
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        _build(root)
    with open(os.path.join(root, 'ood_list.txt'), 'w') as f:
        f.write('\n# only a comment\n')
    with pytest.raises(ValueError, match='empty'):
        _build(root)
    with open(os.path.join(root, 'ood_list.txt'), 'w') as f:
        f.write('/abs/x.jpg\n')
    with pytest.raises(ValueError, match='absolute'):
        _build(root)


def test_corrupt_image_raises_naming_it(tmp_path):
    root = _write_ood(str(tmp_path))
    with open(os.path.join(root, 'OoD_images', 'a.jpg'), 'wb') as f:
        f.write(b'not an image')
    ds = _build(root)
    with pytest.raises(ValueError, match='a.jpg'):
        ds.pipeline(ds.get_data_info(0))


def test_mix_dataset_pairs_every_id_sample_with_an_ood_image(tmp_path, voc_root):
    import mmwsss.seg  # noqa: F401
    from mmengine.dataset import pseudo_collate
    from mmwsss.datasets.ood import WOoDMixDataset
    from mmwsss.datasets.voc import WSSSVOCDataset
    ood_root = _write_ood(str(tmp_path / 'ood'), names=('a.jpg', 'b.jpg', 'c.jpg', 'd.jpg'), gray=())
    id_ds = WSSSVOCDataset(data_root=voc_root, cls_label_file='ImageSets/Segmentation/train_cls.txt',
                           pipeline=[dict(type='LoadWSSSImage'), dict(type='LoadWSSSAnnotations', with_seg=False),
                                     dict(type='PackWSSSInputs')])
    mix = WOoDMixDataset(dataset=id_ds, ood_dataset=_build(ood_root), seed=0)
    assert len(mix) == 3
    assert mix.metainfo['classes'][0] == 'background'
    seen = []
    for _ in range(2):
        for i in range(len(mix)):
            item = mix[i]
            assert item['inputs'].shape == (3, 24, 32) and item['ood_inputs'].shape == (3, 20, 30)
            seen.append(item['ood_inputs'].float().mean().item())
    # permutation draws: the first 4 draws cover the 4 OoD images exactly once
    assert len({round(v, 4) for v in seen[:4]}) == 4
    batch = pseudo_collate([mix[0], mix[1]])
    assert len(batch['ood_inputs']) == 2 and len(batch['data_samples']) == 2
