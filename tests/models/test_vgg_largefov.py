"""VGG16LargeFOV: the original's sizes (SEC training/train.prototxt; weak-localization/foreground)."""
import pytest
import torch

from mmwsss.models.backbones.vgg_largefov import VGG16LargeFOV


@pytest.fixture(scope='module')
def largefov():
    m = VGG16LargeFOV(out_indices=(0, 1, 2, 3, 4, 5))
    m.init_weights()
    return m.eval()


def test_largefov_321_to_41(largefov):
    with torch.no_grad():
        outs = largefov(torch.randn(1, 3, 321, 321))
    sizes = [tuple(o.shape[1:]) for o in outs]
    assert sizes == [(64, 161, 161), (128, 81, 81), (256, 41, 41), (512, 41, 41), (512, 41, 41),
                     (1024, 41, 41)]


def test_largefov_layers_match_table(largefov):
    assert largefov.conv5_1.dilation == (2, 2) and largefov.conv4_1.dilation == (1, 1)
    assert largefov.fc6.dilation == (12, 12) and largefov.fc6.kernel_size == (3, 3)
    assert largefov.fc7.kernel_size == (1, 1)
    assert largefov.pool4.stride == 1 and largefov.pool3.stride == 2
    assert isinstance(largefov.pool5a, torch.nn.AvgPool2d)
    n_params = sum(p.numel() for p in largefov.parameters())
    # 14.7M conv1-5 + fc6 (512*9*1024) + fc7 (1024^2) ~ 20.5M ("vgg16_20M")
    assert 20.4e6 < n_params < 20.6e6
    assert largefov.out_channels == [64, 128, 256, 512, 512, 1024]


def test_cam_arch_321_to_41_and_odd_sizes():
    m = VGG16LargeFOV(arch='cam', out_indices=(2, 5)).eval()
    with torch.no_grad():
        s8, fc7 = m(torch.randn(1, 3, 321, 321))
    assert s8.shape[-2:] == (41, 41) and fc7.shape == (1, 1024, 41, 41)
    assert not hasattr(m, 'pool4') and m.conv5_1.dilation == (1, 1)


def test_largefov_small_input_and_grad():
    m = VGG16LargeFOV(with_fc=False, out_indices=(4, ))
    x = torch.randn(2, 3, 65, 65, requires_grad=True)
    (out, ) = m(x)
    assert out.shape == (2, 512, 9, 9)
    out.mean().backward()
    assert x.grad is not None


def test_bad_args():
    with pytest.raises(ValueError, match='arch'):
        VGG16LargeFOV(arch='vgg19')
    with pytest.raises(ValueError, match='out_indices'):
        VGG16LargeFOV(with_fc=False, out_indices=(5, ))
