"""Hard OoD mining: class-balanced and max-score selection, scoring through the model's own preprocessing."""
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

import mmwsss.seg  # noqa: F401  (registration)
from mmwsss.stages.ood_mining import score_images, select_hard


def test_select_hard_per_class_takes_turns():
    scores = np.array([[0.9, 0.0], [0.8, 0.1], [0.7, 0.2], [0.0, 0.3], [0.95, 0.05]])
    # class 0 takes 4 (0.95), class 1 takes 3 (0.3), class 0 takes 0 (0.9), class 1 takes 2 (0.2, not yet taken)
    assert select_hard(scores, 4) == [4, 3, 0, 2]
    assert select_hard(scores, 2, mode='max') == [4, 0]
    # a candidate is never taken twice, even when it is every class's best
    assert sorted(select_hard(np.ones((3, 5)), 3)) == [0, 1, 2]


@pytest.mark.parametrize('num', [0, 6])
def test_select_hard_bad_num(num):
    with pytest.raises(ValueError, match=f'cannot select {num} of 5'):
        select_hard(np.zeros((5, 2)), num)


def test_select_hard_bad_mode():
    with pytest.raises(ValueError, match='mode'):
        select_hard(np.zeros((5, 2)), 1, mode='min')


def test_score_images_matches_the_classifier(tmp_path):
    from mmwsss.models.segmentors.cam_classifier import CAMClassifier
    torch.manual_seed(0)
    model = CAMClassifier(
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, out_indices=(3, ),
                      strides=(1, 2, 2, 1), dilations=(1, 1, 1, 1)),
        num_classes=4, in_channels=64,
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True)).eval()
    rng = np.random.default_rng(0)
    paths = []
    for k in range(3):
        p = osp.join(str(tmp_path), f'c{k}.png')  # lossless, so the reference sees the same pixels
        Image.fromarray(rng.integers(0, 255, (24, 20, 3), dtype=np.uint8)).save(p)
        paths.append(p)
    scores = score_images(model, paths, progress=False)
    assert scores.shape == (3, 3) and ((scores >= 0) & (scores <= 1)).all()
    import cv2
    bgr = torch.from_numpy(cv2.imread(paths[1])).permute(2, 0, 1).contiguous()
    x = model.data_preprocessor(dict(inputs=[bgr], data_samples=None), False)['inputs']
    with torch.no_grad():
        ref = torch.sigmoid(model.forward_logits(x))[0].numpy()
    assert np.allclose(scores[1], ref, atol=1e-5)
    with pytest.raises(FileNotFoundError, match='nope.jpg'):
        score_images(model, [osp.join(str(tmp_path), 'nope.jpg')], progress=False)
