"""SEC cue generation on the per-image stage skeleton: resumable parts, assembled into the same cue file."""
import os

import numpy as np
import pytest
import torch



def _images(root, n=5, size=(40, 40)):
    from PIL import Image
    (root / 'img').mkdir(), (root / 'gt').mkdir()
    rng = np.random.default_rng(0)
    names = [f'img{i}' for i in range(n)]
    for name in names:
        Image.fromarray(rng.integers(0, 255, size + (3, ), dtype=np.uint8)).save(root / 'img' / f'{name}.jpg')
        Image.fromarray(rng.integers(0, 4, size, dtype=np.uint8)).save(root / 'gt' / f'{name}.png')
    return names


def _nets_and_data(tmp_path):
    from mmseg.registry import MODELS

    import mmwsss.models  # noqa: F401
    from mmwsss.models.segmentors import CAMSaliency
    from mmwsss.stages.sec_cues import ImageLabelSet
    names = _images(tmp_path)
    paths = [str(tmp_path / 'img' / f'{n}.jpg') for n in names]
    ds = ImageLabelSet(paths, [[0], [1], [0, 2], [2], [1]], 3, (33, 33), [128.0] * 3, [64.0] * 3)
    torch.manual_seed(0)
    cam = MODELS.build(dict(type='CAMClassifier', backbone=dict(type='VGG16LargeFOV', with_fc=False,
                                                                out_indices=(2, 4)),
                            num_classes=4, in_channels=512, freeze_bn=False)).eval()
    cam.classifier.weight.data.abs_()
    gt = [str(tmp_path / 'gt' / f'{n}.png') for n in names]
    return cam, CAMSaliency(cam, 0), ds, names, gt


def test_parts_resume_to_the_same_cue_file(tmp_path):
    from mmwsss.datasets.sec_cues import save_sec_cue_file
    from mmwsss.stages.sec_cues import generate_sec_cues
    cam, sal, ds, names, gt = _nets_and_data(tmp_path)
    kw = dict(gt_paths=gt, progress=False, batch_size=2)
    ref, q_ref, grid = generate_sec_cues(cam, sal, ds, names, **kw)  # temporary parts
    parts = tmp_path / 'parts'
    stamp = dict(tool='test')
    cues, q, _ = generate_sec_cues(cam, sal, ds, names, parts_dir=str(parts), stamp=stamp, **kw)
    assert sorted(os.listdir(parts)) == sorted([n + '.npz' for n in names] + ['.run_stamp.json'])
    for name in (names[1], names[4]):  # the second image of a batch and a batch of one
        os.remove(parts / f'{name}.npz')
    mtime = os.path.getmtime(parts / f'{names[0]}.npz')
    resumed, q2, grid2 = generate_sec_cues(cam, sal, ds, names, parts_dir=str(parts), stamp=stamp, **kw)
    assert os.path.getmtime(parts / f'{names[0]}.npz') == mtime  # finished parts are kept
    assert grid == grid2 == (5, 5)
    files = []
    for i, c in enumerate((ref, cues, resumed)):
        files.append(tmp_path / f'{i}.pickle.gz')
        save_sec_cue_file(str(files[-1]), c)
    assert files[0].read_bytes() == files[1].read_bytes() == files[2].read_bytes()
    assert q_ref.summary() == q.summary() == q2.summary()
    with pytest.raises(ValueError, match='another run'):
        generate_sec_cues(cam, sal, ds, names, parts_dir=str(parts), stamp=dict(tool='other'), **kw)
    with pytest.raises(ValueError, match='repeat'):
        generate_sec_cues(cam, sal, ds, [names[0]] * len(names), **kw)
    (parts / f'{names[2]}.npz').write_bytes(b'broken')
    with pytest.raises(ValueError, match=f'{names[2]}.npz: unreadable'):
        generate_sec_cues(cam, sal, ds, names, parts_dir=str(parts), stamp=stamp, **kw)
    assert np.array_equal(ref['2_labels'], [1, 3])
