"""CRFPostProcessor: the dense CRF on the predictions of the wrapped segmentor, at the original image size."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from PIL import Image

from mmwsss.crf import crf_postprocess
from mmwsss.models.segmentors.tta import CRFPostProcessor


class _FixedPredictor(torch.nn.Module):
    """A segmentor double whose test_step returns given logits for one image file."""

    def __init__(self, path, logits, probs=None):
        super().__init__()
        self.path, self.logits, self.probs = path, logits, probs

    def test_step(self, data):
        sample = SegDataSample(metainfo=dict(img_path=self.path))
        sample.set_data({'seg_logits': PixelData(data=self.logits)})
        if self.probs is not None:
            sample.set_data({'seg_probs': PixelData(data=self.probs)})
        return [sample]


@pytest.fixture
def image(tmp_path):
    img = np.zeros((12, 16, 3), np.uint8)
    img[:, 8:] = (250, 30, 30)  # two flat halves: the bilateral kernel follows the edge
    path = str(tmp_path / 'im.png')
    Image.fromarray(img).save(path)
    return path, img


def test_crf_runs_on_the_predictor_output(image):
    path, img = image
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 12, 16, generator=g) * 0.3
    logits[1, :, 8:] += 0.8  # a weak, noisy preference for class 1 on the right half
    logits[0, :, :8] += 0.8
    post = CRFPostProcessor(module=_FixedPredictor(path, logits), preset='sec_test', backend='torch')
    (out, ) = post.test_step({})
    want = crf_postprocess(logits.softmax(0).numpy(), img, preset='sec_test', backend='torch')
    assert np.allclose(out.seg_probs.data.numpy(), want, atol=1e-5)
    assert torch.equal(out.pred_sem_seg.data[0], out.seg_probs.data.argmax(0))
    # seg_probs of a TTA model are used as they are
    probs = torch.full((2, 12, 16), 0.5)
    probs[0, :, :8], probs[1, :, :8] = 0.9, 0.1
    (out2, ) = CRFPostProcessor(module=_FixedPredictor(path, logits, probs), preset='sec_test',
                                backend='torch').test_step({})
    assert np.allclose(out2.seg_probs.data.numpy(), crf_postprocess(probs.numpy(), img, preset='sec_test',
                                                                    backend='torch'), atol=1e-5)


def test_size_mismatch_and_merge_refused(image):
    path, _ = image
    post = CRFPostProcessor(module=_FixedPredictor(path, torch.zeros(2, 6, 8)), backend='torch')
    with pytest.raises(ValueError, match='differ in size'):
        post.test_step({})
    with pytest.raises(NotImplementedError, match='merges nothing'):
        post.merge_preds([])
