"""CPUAutocastOptimWrapper: bfloat16 forward on CPU, float32 parameters and update."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper

import mmwsss.engine  # noqa: F401  (registration)


@pytest.fixture(autouse=True)
def bf16_cpu(monkeypatch):
    """The wrapper's bfloat16 path on any CPU: torch runs bfloat16 autocast everywhere (slowly where oneDNN has no
    bfloat16 kernels, which is when the wrapper falls back to float32; tests that check the fallback patch it
    back)."""
    from mmwsss.engine import optim_wrappers
    monkeypatch.setattr(optim_wrappers, 'bf16_supported', lambda: True)


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


def test_fp32_modules_run_in_float32_with_the_same_result():
    # a regression layer listed in fp32_modules computes in float32 inside the bfloat16 forward: its output equals
    # the float32 layer applied to the bfloat16 features, and its gradients reach the bfloat16 layers before it
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1),
                                torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Conv2d(8, 2, 1)))
    wrapper = build_optim_wrapper(model, dict(type='CPUAutocastOptimWrapper', fp32_modules=['1.1'],
                                              optimizer=dict(type='SGD', lr=0.1)))
    x = torch.randn(2, 3, 16, 16)
    with wrapper.optim_context(model):
        feat = model[0](x)
        out = model(x)
    assert feat.dtype == torch.bfloat16 and out.dtype == torch.float32
    ref = torch.nn.functional.conv2d(feat.float().relu(), model[1][1].weight, model[1][1].bias)
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    # without fp32_modules the same layer runs in bfloat16 and its output is rounded
    plain = build_optim_wrapper(model, dict(type='CPUAutocastOptimWrapper', optimizer=dict(type='SGD', lr=0.1)))
    with plain.optim_context(model):
        rounded = model(x)
    assert rounded.dtype == torch.bfloat16 and (rounded.float() - ref).abs().max() > 1e-4
    with wrapper.optim_context(model):
        out = model(x)
    out.square().mean().backward()
    assert model[0].weight.grad is not None and model[0].weight.grad.dtype == torch.float32
    # outside the wrapper's context the module runs as it is, no hooks left (float64 model and input)
    assert model.double()(x.double()).dtype == torch.float64
    assert not model[1][1]._forward_pre_hooks and not model[1][1]._forward_hooks
    # the names are resolved per model: the same wrapper on another model looks them up there
    with pytest.raises(KeyError, match=r"\['1.1'\] are not submodules"):
        with wrapper.optim_context(torch.nn.Sequential(torch.nn.Linear(3, 3))):
            pass


def test_fp32_modules_errors():
    model = torch.nn.Sequential(torch.nn.Linear(8, 4))
    wrapper = build_optim_wrapper(model, dict(type='CPUAutocastOptimWrapper', fp32_modules=['head.offset'],
                                              optimizer=dict(type='SGD', lr=0.1)))
    with pytest.raises(KeyError, match=r"\['head.offset'\] are not submodules of Sequential"):
        with wrapper.optim_context(model):
            pass
    with pytest.raises(TypeError, match='list of module names'):
        build_optim_wrapper(model, dict(type='CPUAutocastOptimWrapper', fp32_modules='0',
                                        optimizer=dict(type='SGD', lr=0.1)))
