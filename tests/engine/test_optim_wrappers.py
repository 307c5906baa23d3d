"""CPUAutocastOptimWrapper: bfloat16 forward on CPU, float32 parameters and update."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper

import mmwsss.engine  # noqa: F401  (registration)


def test_forward_in_bfloat16_update_in_float32():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 4))
    wrapper = build_optim_wrapper(model, dict(type='CPUAutocastOptimWrapper',
                                              optimizer=dict(type='SGD', lr=0.1)))
    before = model[0].weight.detach().clone()
    x = torch.randn(3, 8)
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.bfloat16
    loss = out.float().pow(2).mean()
    wrapper.update_params(loss)
    assert model[0].weight.dtype == torch.float32 and not torch.equal(model[0].weight, before)
    # outside the context the model is float32 again
    assert model(x).dtype == torch.float32


def test_bad_dtype():
    with pytest.raises(ValueError, match='dtype'):
        build_optim_wrapper(torch.nn.Linear(2, 2), dict(type='CPUAutocastOptimWrapper', dtype='int8',
                                                        optimizer=dict(type='SGD', lr=0.1)))


def test_float32_where_the_cpu_has_no_bfloat16(monkeypatch):
    from mmwsss.engine import optim_wrappers
    monkeypatch.setattr(optim_wrappers, 'bf16_supported', lambda: False)
    model = torch.nn.Linear(8, 4)
    wrapper = build_optim_wrapper(model, dict(type='CPUAutocastOptimWrapper', optimizer=dict(type='SGD', lr=0.1)))
    with wrapper.optim_context(model):
        assert model(torch.randn(3, 8)).dtype == torch.float32
    strict = build_optim_wrapper(model, dict(type='CPUAutocastOptimWrapper', cpu_fallback=False,
                                             optimizer=dict(type='SGD', lr=0.1)))
    with strict.optim_context(model):
        assert model(torch.randn(3, 8)).dtype == torch.bfloat16
