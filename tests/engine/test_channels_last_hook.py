"""ChannelsLastHook: the model trains in NHWC; same parameters, same outputs, checkpoints load either way."""
from types import SimpleNamespace

import torch
from mmengine.registry import HOOKS

import mmwsss.engine  # noqa: F401  (registration)


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                               torch.nn.Conv2d(8, 8, 5, padding=2, groups=8), torch.nn.Conv2d(8, 4, 1))


def test_converts_parameters_in_place_and_keeps_outputs():
    model = _model()
    ref = _model()
    params = list(model.parameters())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    HOOKS.build(dict(type='ChannelsLastHook')).before_train(SimpleNamespace(model=model))
    # the optimizer's parameter objects are the model's, now NHWC
    assert all(p is q for p, q in zip(params, model.parameters()))
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert not ref[0].weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(2, 3, 12, 12)  # an NCHW batch, as the data preprocessor makes it
    out, out_ref = model(x), ref(x)
    assert out.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-5)
    # a step updates the converted parameters as the NCHW model's
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1)
    for m, o in ((model, opt), (ref, opt_ref)):
        m(x).square().mean().backward()
        o.step()
    torch.testing.assert_close(model[0].weight, ref[0].weight, rtol=1e-5, atol=1e-6)
    # checkpoints load across the formats
    fresh = _model()
    fresh.load_state_dict(model.state_dict())
    torch.testing.assert_close(fresh[0].weight, model[0].weight, rtol=0, atol=0)
    assert not fresh[0].weight.is_contiguous(memory_format=torch.channels_last)



def test_hooks_reach_the_model_inside_ddp(tmp_path):
    # under tools/dist_train.sh runner.model is MMDistributedDataParallel: the hooks act on the module it wraps
    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/pg', rank=0, world_size=1)
    try:
        model = _model()
        model.train_iter = None
        wrapped = MMDistributedDataParallel(module=model)
        runner = SimpleNamespace(model=wrapped, iter=7)
        HOOKS.build(dict(type='ChannelsLastHook')).before_train(runner)
        assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
        hook = HOOKS.build(dict(type='SetIterInfoHook'))
        hook.before_train(runner)
        hook.before_train_iter(runner, 0)
        assert model.train_iter == 7 and not hasattr(wrapped, 'train_iter')
    finally:
        dist.destroy_process_group()
