"""DepthwiseConv2d against nn.Conv2d(groups=channels): outputs, input and weight gradients, state dict."""
import pytest
import torch
import torch.nn as nn

from mmwsss.models.utils import DepthwiseConv2d, depthwise_conv2d


def _pair(channels, k, padding, dilation, bias, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    ref = nn.Conv2d(channels, channels, k, padding=padding, dilation=dilation, groups=channels, bias=bias).to(dtype)
    fast = DepthwiseConv2d(channels, k, padding=padding, dilation=dilation, bias=bias).to(dtype)
    fast.load_state_dict(ref.state_dict())  # same parameter names and shapes
    return ref, fast


def _grads(conv, x, g):
    conv.zero_grad()
    x = x.clone().requires_grad_(True)
    y = conv(x)
    y.backward(g)
    return y.detach(), x.grad, conv.weight.grad, None if conv.bias is None else conv.bias.grad


@pytest.mark.parametrize('k,padding,dilation,bias', [(5, 2, 1, False), (3, 1, 1, True), (3, 2, 2, False),
                                                     (5, 0, 1, True), ((3, 5), (1, 2), (1, 1), False),
                                                     (3, 3, 3, True)])
def test_matches_native_conv_in_float64(k, padding, dilation, bias):
    ref, fast = _pair(6, k, padding, dilation, bias)
    x = torch.randn(3, 6, 13, 11, dtype=torch.float64)
    g = torch.randn_like(ref(x))
    for a, b in zip(_grads(ref, x, g), _grads(fast, x, g)):
        if a is None:
            assert b is None
        else:
            assert a.shape == b.shape
            torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-10)


def test_float32_within_rounding_and_channels_last():
    ref, fast = _pair(32, 5, 2, 1, False, dtype=torch.float32)
    x = torch.randn(8, 32, 28, 28)
    g = torch.randn(8, 32, 28, 28)
    want = _grads(ref, x, g)
    got = _grads(fast, x, g)
    got_cl = _grads(fast, x.contiguous(memory_format=torch.channels_last), g)
    for a, b, c in zip(want[:3], got[:3], got_cl[:3]):
        scale = a.abs().max()
        assert (b - a).abs().max() <= 1e-5 * scale
        assert (c - a).abs().max() <= 1e-5 * scale


def test_autocast_keeps_float32_taps():
    ref, fast = _pair(16, 5, 2, 1, False, dtype=torch.float32)
    x = torch.randn(2, 16, 14, 14)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        y = fast(x)
    assert y.dtype == torch.float32
    torch.testing.assert_close(y, ref(x), rtol=1e-5, atol=1e-5)


def test_no_grad_and_strided_use_native():
    torch.manual_seed(1)
    conv = DepthwiseConv2d(4, 3, stride=2, padding=1)
    ref = nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4)
    ref.load_state_dict(conv.state_dict())
    x = torch.randn(1, 4, 9, 9)
    torch.testing.assert_close(conv(x), ref(x))
    same = DepthwiseConv2d(4, 3, padding=1)
    ref_same = nn.Conv2d(4, 4, 3, padding=1, groups=4)
    ref_same.load_state_dict(same.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(same(x), ref_same(x))


def test_rejects_non_depthwise_weight():
    with pytest.raises(ValueError, match='not depthwise for 4 input channels'):
        depthwise_conv2d(torch.randn(1, 4, 5, 5), torch.randn(4, 2, 3, 3), (1, 1), (1, 1))
