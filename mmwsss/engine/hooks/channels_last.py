"""Train a model in the ``channels_last`` (NHWC) memory format.

oneDNN's CPU convolutions, depthwise ones above all, run faster on NHWC tensors. Converting the parameters is
enough: a convolution whose weight is ``channels_last`` returns ``channels_last`` output, so the format carries
through the network from the first layer on; the input batch stays as the data preprocessor makes it. The values
computed are those of the NCHW model up to the order of floating-point sums. Checkpoints load into models in
either format.
"""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

__all__ = ['ChannelsLastHook']


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Convert the model's 4-D parameters and buffers to ``torch.channels_last`` before training.

    The conversion keeps the parameter objects (their ``.data`` changes), so the optimizer built before the hook
    runs still updates them.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        model.to(memory_format=torch.channels_last)
