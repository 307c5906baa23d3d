"""Train a model in the ``channels_last`` (NHWC) memory format.

oneDNN's CPU convolutions, depthwise ones above all, run faster on NHWC tensors. Converting the parameters is
enough: a convolution whose weight is ``channels_last`` returns ``channels_last`` output, so the format carries
through the network from the first layer on; the input batch stays as the data preprocessor makes it. The values
computed are those of the NCHW model up to the order of floating-point sums. Checkpoints load into models in
either format.
"""
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from mmwsss.utils.checkpoint import unwrap_model

__all__ = ['ChannelsLastHook']


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Convert the model's 4-D parameters and buffers to ``torch.channels_last`` before training.

    The conversion keeps the parameter objects (their ``.data`` changes), so the optimizer built before the hook
    runs still updates them.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        model.to(memory_format=torch.channels_last)
