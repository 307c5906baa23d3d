"""normalize_like_preprocessor gives what the host data preprocessors give, for every kind of preprocessor."""
import pytest
import torch

import mmwsss.seg  # noqa: F401  (registration)
from mmwsss.utils import normalize_like_preprocessor, swaps_channels

MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]


def _preprocessors():
    from mmdet.models.data_preprocessors import DetDataPreprocessor
    from mmengine.model import ImgDataPreprocessor
    from mmseg.models.data_preprocessor import SegDataPreProcessor
    out = []
    for bgr_to_rgb in (True, False):
        out.append(SegDataPreProcessor(mean=MEAN, std=STD, bgr_to_rgb=bgr_to_rgb))
        out.append(ImgDataPreprocessor(mean=MEAN, std=STD, bgr_to_rgb=bgr_to_rgb))
        out.append(DetDataPreprocessor(mean=MEAN, std=STD, bgr_to_rgb=bgr_to_rgb))
    return out


@pytest.mark.parametrize('dp', _preprocessors(), ids=lambda d: f'{type(d).__name__}-{swaps_channels(d)}')
def test_matches_the_preprocessor(dp):
    torch.manual_seed(0)
    bgr = torch.randint(0, 256, (3, 20, 24), dtype=torch.uint8)
    ref = dp(dict(inputs=[bgr], data_samples=None), False)['inputs'][0]
    assert torch.allclose(normalize_like_preprocessor(dp, bgr, order='bgr'), ref, atol=1e-5)
    # an RGB image (as read by PIL) gives the same tensor
    assert torch.allclose(normalize_like_preprocessor(dp, bgr.flip(0), order='rgb'), ref, atol=1e-5)


def test_swaps_channels_reads_both_attribute_names():
    from mmengine.model import ImgDataPreprocessor
    from mmseg.models.data_preprocessor import SegDataPreProcessor
    # mmseg stores the switch as ``channel_conversion``, mmengine as ``_channel_conversion``
    assert swaps_channels(SegDataPreProcessor(mean=MEAN, std=STD, bgr_to_rgb=True))
    assert swaps_channels(ImgDataPreprocessor(mean=MEAN, std=STD, bgr_to_rgb=True))
    assert not swaps_channels(SegDataPreProcessor(mean=MEAN, std=STD, bgr_to_rgb=False))
    assert not swaps_channels(object())


def test_bad_order():
    from mmseg.models.data_preprocessor import SegDataPreProcessor
    with pytest.raises(ValueError, match='order'):
        normalize_like_preprocessor(SegDataPreProcessor(mean=MEAN, std=STD), torch.zeros(3, 2, 2), order='hsv')
