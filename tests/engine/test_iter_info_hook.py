"""SetIterInfoHook: the model reads the training iteration from its ``train_iter`` attribute (BESTIE refine_iter)."""
import glob
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from tests.det.test_bestie_model import _model, _samples


def test_hook_sets_train_iter_and_bestie_refines_from_refine_iter(monkeypatch):
    import mmwsss.det  # noqa: F401
    import mmwsss.det.models.bestie as mb
    from mmdet.registry import MODELS
    from mmwsss.engine.hooks import SetIterInfoHook
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):  # BESTIE lives in the mmdet scope
        m = _model(MODELS, 'cls', True)
    m.refine_iter = 5
    data = m.data_preprocessor(dict(inputs=[torch.zeros(3, 48, 48, dtype=torch.uint8)] * 2,
                                    data_samples=_samples('cls')), True)
    # refined targets of weight 0 halve the centre/offset terms, which makes "refining" visible in the loss
    zero = lambda seg, c, o, *a, **k: dict(center=torch.zeros_like(c), offset=torch.zeros_like(o),  # noqa: E731
                                           weight=torch.zeros_like(o[:, :1]))
    monkeypatch.setattr(mb, 'refine_label_generation', zero)
    assert m.train_iter is None
    with pytest.raises(RuntimeError, match='SetIterInfoHook'):  # schedule position unknown: no silent default
        m.loss(data['inputs'], data['data_samples'])
    hook = SetIterInfoHook()
    runner = SimpleNamespace(model=m, iter=4)
    hook.before_train(runner)
    with torch.no_grad():
        hook.before_train_iter(runner, 0)
        assert m.train_iter == 4
        before = m.loss(data['inputs'], data['data_samples'])
        runner.iter = 5
        hook.before_train_iter(runner, 0)
        assert m.train_iter == 5
        after = m.loss(data['inputs'], data['data_samples'])
    assert set(before) == set(after) == {'loss_seg', 'loss_center', 'loss_offset'}
    assert after['loss_seg'].item() == pytest.approx(before['loss_seg'].item(), rel=1e-6)
    assert after['loss_center'].item() == pytest.approx(0.5 * before['loss_center'].item(), rel=1e-5)
    assert after['loss_offset'].item() == pytest.approx(0.5 * before['loss_offset'].item(), rel=1e-5)
    # refine_iter=0 refines without any iteration (unit tests, custom loops)
    m.train_iter, m.refine_iter = None, 0
    with torch.no_grad():
        always = m.loss(data['inputs'], data['data_samples'])
    assert always['loss_center'].item() == pytest.approx(after['loss_center'].item(), rel=1e-6)


def test_hook_rejects_a_model_without_train_iter():
    from mmwsss.engine.hooks import SetIterInfoHook
    with pytest.raises(TypeError, match='train_iter'):
        SetIterInfoHook().before_train(SimpleNamespace(model=torch.nn.Linear(1, 1)))


def test_every_bestie_config_sets_the_iteration():
    for f in sorted(glob.glob('configs/bestie/bestie-*.py')):
        cfg = Config.fromfile(f)
        assert cfg.model.type == 'BESTIE', f
        assert 'SetIterInfoHook' in [h['type'] for h in cfg.custom_hooks], f
