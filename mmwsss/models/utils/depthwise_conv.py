"""Depthwise convolution with a faster CPU backward pass.

PyTorch's CPU backward of a depthwise (``groups == channels``) convolution is slow: for the 5x5 depthwise
convolutions of the Panoptic-DeepLab decoder it takes about 20 times the forward time, while the forward and the
input gradient are cheap. :class:`DepthwiseConv2d` computes the same convolution and the same gradients
with cheap operations:

* input gradient: the transposed depthwise convolution of the output gradient (one native call);
* weight gradient: ``dW[c, i, j] = sum_{n, y, x} g[n, c, y, x] * x_pad[n, c, y + i*d, x + j*d]``, one
  multiply-and-reduce per kernel tap (k*k of them).

The results equal PyTorch's up to float rounding (summation order); ``tests/models/utils`` checks values and
gradients against ``nn.Conv2d``. The fast path is taken for stride 1 on CPU; anything else (CUDA, strides) uses
the native convolution, so the module is a drop-in ``nn.Conv2d`` with the same parameters and state dict.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ['depthwise_conv2d', 'DepthwiseConv2d']


class _DepthwiseConv2dFunction(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x, weight, padding, dilation):
        ctx.save_for_backward(x, weight)
        ctx.padding, ctx.dilation = padding, dilation
        return F.conv2d(x, weight, None, 1, padding, dilation, x.shape[1])

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        (ph, pw), (dh, dw) = ctx.padding, ctx.dilation
        channels, kh, kw = x.shape[1], weight.shape[2], weight.shape[3]
        grad_out = grad_out.contiguous()
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_x = F.conv_transpose2d(grad_out, weight, None, 1, (ph, pw), 0, channels, (dh, dw))
        if ctx.needs_input_grad[1]:
            ho, wo = grad_out.shape[2:]
            x_pad = F.pad(x, (pw, pw, ph, ph))
            grad_w = weight.new_empty(channels, kh * kw)
            for i in range(kh):
                for j in range(kw):
                    tap = x_pad[:, :, i * dh:i * dh + ho, j * dw:j * dw + wo]
                    grad_w[:, i * kw + j] = (grad_out * tap).sum((0, 2, 3))
            grad_w = grad_w.view_as(weight)
        return grad_x, grad_w, None, None


def depthwise_conv2d(x: torch.Tensor, weight: torch.Tensor, padding=(0, 0), dilation=(1, 1)) -> torch.Tensor:
    """Stride-1 depthwise convolution (no bias) with the fast backward of this module.

    Args:
        x: (N, C, H, W) input.
        weight: (C, 1, kh, kw) per-channel kernels.
        padding: (ph, pw) zero padding.
        dilation: (dh, dw) kernel dilation.

    Returns:
        (N, C, H + 2 ph - dh (kh - 1), W + 2 pw - dw (kw - 1)), equal to
        ``F.conv2d(x, weight, padding=padding, dilation=dilation, groups=C)``.
    """
    if weight.shape[0] != x.shape[1] or weight.shape[1] != 1:
        raise ValueError(f'depthwise_conv2d: weight {tuple(weight.shape)} is not depthwise for {x.shape[1]} '
                         'input channels')
    return _DepthwiseConv2dFunction.apply(x, weight, tuple(padding), tuple(dilation))


class DepthwiseConv2d(nn.Conv2d):
    """``nn.Conv2d`` with ``groups = in_channels = out_channels`` and the fast CPU backward of
    :func:`depthwise_conv2d` (same parameters, initialisation and state dict as ``nn.Conv2d``).

    Args:
        channels: Input and output channels.
        kernel_size, padding, dilation, bias: As ``nn.Conv2d`` (stride 1, zero padding).
        stride: As ``nn.Conv2d``; strides other than 1 use the native convolution.
    """

    def __init__(self, channels: int, kernel_size, stride=1, padding=0, dilation=1, bias: bool = True):
        super().__init__(channels, channels, kernel_size, stride=stride, padding=padding, dilation=dilation,
                         groups=channels, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (x.device.type != 'cpu' or self.stride != (1, 1) or self.padding_mode != 'zeros'
                or isinstance(self.padding, str) or not torch.is_grad_enabled()):
            return super().forward(x)
        weight = self.weight
        if torch.is_autocast_enabled('cpu'):
            # the depthwise taps are cheap in float32; bf16 would round the k*k-term weight-gradient sums
            x, weight = x.float(), weight.float()
        with torch.autocast('cpu', enabled=False):
            out = depthwise_conv2d(x, weight, self.padding, self.dilation)
            if self.bias is not None:
                out = out + self.bias.view(1, -1, 1, 1).to(out.dtype)
        return out
