"""Hook switching a model's training targets to its own pseudo labels at an iteration (BLPSeg self-training)."""
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from mmwsss.utils.checkpoint import unwrap_model

__all__ = ['PseudoLabelSwitchHook']


@HOOKS.register_module()
class PseudoLabelSwitchHook(Hook):
    """Set ``model.self_training`` to ``runner.iter >= start_iter`` before every training iteration.

    The model reads only its ``self_training`` attribute (BLPSeg: scribbles before the switch, its 0.9-confidence
    pseudo labels after; ``TRAIN_ST_POINT`` in the original ``train.py``); the schedule lives here, as mmdet's
    ``YOLOXModeSwitchHook`` keeps YOLOX's. The state follows ``runner.iter``, so a resumed run switches at the same
    iteration as an uninterrupted one.

    Args:
        start_iter: First (0-based) iteration trained on pseudo labels (10k on VOC, 20k on Context).
    """

    priority = 'NORMAL'

    def __init__(self, start_iter: int) -> None:
        if not isinstance(start_iter, int) or start_iter < 0:
            raise ValueError(f'PseudoLabelSwitchHook: start_iter must be an int >= 0, got {start_iter!r}')
        self.start_iter = start_iter

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        if not hasattr(model, 'self_training'):
            raise TypeError(f'PseudoLabelSwitchHook needs a model with a self_training attribute (BLPSeg), got '
                            f'{type(model).__name__}')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = unwrap_model(runner.model)
        on = runner.iter >= self.start_iter
        if on and not model.self_training:
            print_log(f'PseudoLabelSwitchHook: training on pseudo labels from iteration {runner.iter}',
                      logger='current')
        model.self_training = on
