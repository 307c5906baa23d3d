"""BESTIE's Panoptic-DeepLab dual decoder (BESTIE panoptic_deeplab.py): shapes, decoupled branches, training in BESTIE."""
import pytest
import torch


@pytest.fixture(scope='module')
def reg():
    import mmwsss.det  # noqa: F401
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    return MODELS


def _head(reg, **kw):
    cfg = dict(type='BestieDualDecoderHead', in_channels=[8, 16, 32, 64], in_index=[0, 1, 2, 3], num_classes=3,
               sem_channels=(16, 16), sem_project=(8, 8, 4), ins_channels=(16, 8), ins_project=(8, 4, 4),
               center_channels=8, offset_channels=4)
    cfg.update(kw)
    return reg.build(cfg)


def _feats(b=2):
    # res2 at stride 4, the rest at stride 8 (the shared OS-8 backbone) for a 64×64 input
    return [torch.randn(b, 8, 16, 16), torch.randn(b, 16, 8, 8), torch.randn(b, 32, 8, 8), torch.randn(b, 64, 8, 8)]


def test_output_shapes(reg):
    seg, ctr, off = _head(reg)(_feats())
    assert seg.shape == (2, 4, 16, 16)
    assert ctr.shape == (2, 3, 16, 16)
    assert off.shape == (2, 2, 16, 16)


def test_decoders_are_separate(reg):
    """The centre loss reaches the semantic decoder only through the backbone (here: not at all)."""
    torch.manual_seed(0)
    head = _head(reg)
    head.train()
    feats = [f.requires_grad_() for f in _feats()]
    _, ctr, _ = head(feats)
    ctr.square().sum().backward()
    sem_grads = [p.grad for p in head.sem_decoder.parameters()] + [p.grad for p in head.seg.parameters()]
    assert all(g is None or g.abs().sum() == 0 for g in sem_grads)
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in head.ins_decoder.parameters())
    assert feats[-1].grad.abs().sum() > 0  # and it does reach the shared features


def test_aspp_image_pooling_sees_the_whole_map(reg):
    """Changing one far-away pixel of res5 changes every output pixel (GAP branch), not only a neighbourhood."""
    from mmwsss.det.models import PanopticASPP
    torch.manual_seed(0)
    aspp = PanopticASPP(4, 6, rates=(1, 2, 3)).eval()
    for m in aspp.modules():  # non-trivial weights so the effect is visible
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.normal_(m.weight, 0, 0.5)
    x = torch.randn(1, 4, 20, 20)
    y0 = aspp(x)
    x2 = x.clone()
    x2[0, :, 19, 19] += 50.0
    d = (aspp(x2) - y0).abs()[0].sum(0)
    assert d[0, 0] > 0  # 19 cells away, beyond the largest atrous reach (3)
    assert aspp(torch.randn(1, 4, 20, 20)).shape == (1, 6, 20, 20)


def test_bad_levels_raise(reg):
    with pytest.raises(ValueError, match='differ in length'):
        _head(reg, in_index=[0, 1, 2])
    with pytest.raises(ValueError, match='differ in length'):
        _head(reg, sem_project=(8, 8))


def test_trains_inside_bestie(reg):
    """A few Adam steps of BESTIE with the dual decoder lower the semantic loss on a fixed batch."""
    from tests.det.test_bestie_model import _samples
    torch.manual_seed(0)
    m = reg.build(dict(
        type='BESTIE', num_classes=2, sup='cls', refine=True,
        data_preprocessor=dict(type='DetDataPreprocessor', mean=[0, 0, 0], std=[1, 1, 1], pad_size_divisor=8),
        backbone=dict(_scope_='mmseg', type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
                      out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1)),
        head=dict(type='BestieDualDecoderHead', in_channels=[8, 16, 32, 64], in_index=[0, 1, 2, 3],
                  sem_channels=(16, 16), sem_project=(8, 8, 4), ins_channels=(16, 8), ins_project=(8, 4, 4),
                  center_channels=8, offset_channels=4),
        refine_cfg=dict(sigma=2, nms_kernel=7, min_area=10), test_cfg=dict(nms_kernel=7, min_area=10)))
    data = dict(inputs=[torch.randint(0, 255, (3, 48, 48), dtype=torch.uint8) for _ in range(2)],
                data_samples=_samples('cls'))
    data = m.data_preprocessor(data, True)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    first = None
    for _ in range(40):
        losses = m.loss(data['inputs'], data['data_samples'])
        if first is None:
            first = float(losses['loss_seg'])
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
    assert all(torch.isfinite(v) for v in losses.values())
    assert float(losses['loss_seg']) < 0.7 * first
    m.eval()
    with torch.no_grad():
        out = m.predict(data['inputs'], data['data_samples'])
    assert out[0].pred_instances.masks.shape[-2:] == (48, 48)
