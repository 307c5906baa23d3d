"""BLPSeg head + segmentor (BLPSeg blpseg.py; test.py): shapes, losses, gradient routing, switch, TTA, configs."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmwsss.seg  # noqa: F401
from mmwsss.models.heads.blp_head import BLPHead
from mmwsss.models.segmentors.blpseg import BLPSeg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
C = 4
init_default_scope('mmseg')


def _model(lam=True, loss_decode=None, dilated=True, test_cfg=None):
    norm = dict(type='BN', requires_grad=True)
    head = dict(type='BLPHead', in_channels=[8, 16, 32, 64], channels=16, num_classes=C, norm_cfg=norm)
    if loss_decode is not None:
        head['loss_decode'] = loss_decode
    cfg = dict(
        type='BLPSeg',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0., 0., 0.], std=[1., 1., 1.], size=(32, 32),
                               pad_val=0, seg_pad_val=255),
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, norm_cfg=norm,
                      strides=(1, 2, 1, 1) if dilated else (1, 2, 2, 2),
                      dilations=(1, 1, 2, 4) if dilated else (1, 1, 1, 1)),
        decode_head=head,
        lam=dict(type='LocalAggregationModule', embed_dims=8, sigma=6.0) if lam else None,
        test_cfg=ConfigDict(test_cfg or dict(mode='whole')))
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _samples(n=2, h=32, w=32, scribble_size=None):
    g = torch.Generator().manual_seed(3)
    out = []
    for i in range(n):
        sh, sw = scribble_size or (h, w)
        scr = torch.full((1, sh, sw), C, dtype=torch.long)  # C = not annotated
        scr[0, 2:4, 2:20] = 0
        scr[0, 10:12, 5:25] = 1 + i
        scr[0, -2:, :] = 255  # padding
        s = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w), img_path=f'im{i}.jpg'))
        s.gt_scribble = PixelData(data=scr)
        labels = torch.zeros(C)
        labels[0] = labels[1 + i] = 1
        s.gt_img_labels = labels
        s.gt_sem_seg = PixelData(data=torch.randint(0, C, (1, h, w), generator=g))
        out.append(s)
    return out


@pytest.mark.parametrize('dilated', [True, False])
def test_head_shapes(dilated):
    model = _model(dilated=dilated)
    x = model.extract_feat(torch.randn(2, 3, 64, 48))
    seg, scrib = model.decode_head.forward_train(x)
    assert seg.shape == (2, C, 16, 12) and scrib.shape == (2, C + 1, 16, 12)
    head = model.decode_head
    assert isinstance(head, BLPHead) and head.pool_scales == (1, 2, 3, 6)
    # three 1x1 convs, no bias on the first two (BLPSeg lib/net/blpseg.py)
    convs = [m for m in head.conv_seg if isinstance(m, torch.nn.Conv2d)]
    assert [c.bias is None for c in convs] == [True, True, False]
    assert convs[-1].out_channels == C and head.scribble_head[-1].out_channels == C + 1
    with pytest.raises(NotImplementedError, match='BLPSeg'):
        head.loss(x, [], None)


def test_loss_keys_and_gradient_routing():
    model = _model()
    model.train()
    inputs = torch.randn(2, 3, 32, 32)
    losses = model.loss(inputs, _samples())
    assert set(losses) == {'loss_scrib', 'loss_blp', 'acc_scrib', 'pseudo_ratio'}
    assert all(torch.isfinite(v) for v in losses.values())
    # scribble loss trains only the scribble head (detached decoder features, BLPSeg lib/net/blpseg.py)
    model.zero_grad()
    losses['loss_scrib'].backward(retain_graph=True)
    assert model.decode_head.scribble_head[0].weight.grad.abs().sum() > 0
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in model.backbone.parameters())
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in model.lam.parameters())
    # the BLP loss trains backbone, decoder, seg head and LAM's embedding, not the scribble head
    model.zero_grad()
    losses['loss_blp'].backward()
    assert model.backbone.stem[0].weight.grad.abs().sum() > 0
    assert model.lam.embed.proj.weight.grad.abs().sum() > 0
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in model.decode_head.scribble_head.parameters())


def test_loss_decreases_with_sgd():
    model = _model()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    inputs = torch.randn(2, 3, 32, 32)
    samples = _samples()
    first = None
    for _ in range(5):
        losses = model.loss(inputs, samples)
        total = losses['loss_scrib'] + losses['loss_blp']
        first = total.item() if first is None else first
        opt.zero_grad()
        total.backward()
        opt.step()
    assert total.item() < first


def test_self_training_switch_by_iteration():
    from types import SimpleNamespace

    from mmwsss.engine.hooks import PseudoLabelSwitchHook
    model = _model()
    model.train()
    assert not model._use_pseudo_labels()  # off until a hook (or a custom loop) turns it on
    hook = PseudoLabelSwitchHook(start_iter=5)
    runner = SimpleNamespace(model=model, iter=4)
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    assert not model._use_pseudo_labels()
    runner.iter = 5
    hook.before_train_iter(runner, 0)
    assert model._use_pseudo_labels()
    runner.iter = 3  # a run resumed before the switch trains on scribbles again
    hook.before_train_iter(runner, 0)
    assert not model._use_pseudo_labels()
    model.self_training = True
    # with a confident model every unlabelled pixel of an allowed class becomes a target
    with torch.no_grad():
        last = model.decode_head.conv_seg[-1]
        last.weight.zero_()
        last.bias.copy_(torch.tensor([10., -10., -10., -10.]))
    losses = model.loss(torch.randn(2, 3, 32, 32), _samples())
    assert losses['pseudo_ratio'] > 0.9  # all but the padding rows
    with pytest.raises(TypeError, match='self_training'):
        hook.before_train(SimpleNamespace(model=torch.nn.Linear(1, 1)))
    with pytest.raises(ValueError, match='start_iter'):
        PseudoLabelSwitchHook(start_iter=-1)
    runner.iter = 0
    hook.before_train_iter(runner, 0)
    losses = model.loss(torch.randn(2, 3, 32, 32), _samples())
    assert losses['pseudo_ratio'] < 0.2  # scribbles only


def test_scribble_padding_and_errors():
    model = _model()
    model.train()
    losses = model.loss(torch.randn(2, 3, 32, 32), _samples(scribble_size=(28, 30)))
    assert torch.isfinite(losses['loss_blp'])
    bad = _samples()
    del bad[1].gt_scribble
    with pytest.raises(KeyError, match='im1.jpg.*gt_scribble'):
        model.loss(torch.randn(2, 3, 32, 32), bad)
    bad = _samples()
    bad[0].gt_scribble.data[0, 0, 0] = C + 3
    with pytest.raises(ValueError, match='scribble_unlabeled_to'):
        model.loss(torch.randn(2, 3, 32, 32), bad)
    with pytest.raises(TypeError, match='BLPHead'):
        MODELS.build(dict(type='BLPSeg', backbone=dict(type='ResNetV1c', depth=18),
                          decode_head=dict(type='FCNHead', in_channels=512, channels=8, num_classes=C)))


def test_predict_and_tta_merge_logits():
    model = _model()
    model.eval()
    inputs = torch.randn(1, 3, 36, 40)
    meta = dict(img_shape=(36, 40), ori_shape=(36, 40), pad_shape=(36, 40), img_path='x.jpg')
    with torch.no_grad():
        out = model.predict(inputs, [SegDataSample(metainfo=meta)])
        logits = model.encode_decode(inputs, [meta])
        small = model._forward(inputs)
    assert out[0].pred_sem_seg.shape == (36, 40) and logits.shape == (1, C, 36, 40)
    assert small.shape == (1, C, 9, 10)
    assert torch.equal(out[0].pred_sem_seg.data[0], logits[0].argmax(0))
    # SegTTAModel / WSSSTTAModel need these attributes
    assert model.out_channels == C and hasattr(model.decode_head, 'threshold')
    tta = MODELS.build(dict(type='WSSSTTAModel', merge='logit', module=model))
    flip_meta = dict(meta, flip=True, flip_direction='horizontal')
    img = (inputs[0] * 255).clamp(0, 255).byte()
    data = dict(inputs=[[img], [img.flip(-1)]],
                data_samples=[[SegDataSample(metainfo=meta)], [SegDataSample(metainfo=flip_meta)]])
    with torch.no_grad():
        merged = tta.test_step(data)
    assert merged[0].pred_sem_seg.shape == (36, 40)


def _switch_iter(cfg):
    hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] == 'PseudoLabelSwitchHook']
    assert len(hooks) <= 1
    return hooks[0]['start_iter'] if hooks else None


@pytest.mark.parametrize('name', [
    'r101_voc', 'blpseg_r101_2xb4-53k_pascal-context-scribble-384x384',
    'blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112', 'partial-ce_r18-d8_1xb8-2k_synthetic-scribble-112x112',
    'blpseg-blploss_r18-d8_1xb8-2k_synthetic-scribble-112x112',
    'blpseg-blploss-lam_r18-d8_1xb8-2k_synthetic-scribble-112x112'])
def test_configs(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'blpseg', name + '.py'))
    m = cfg.model
    assert m.type == 'BLPSeg' and cfg.tta_model['merge'] == 'logit'
    if '_r101' in name or name == 'r101_voc':
        assert m.backbone.depth == 101 and m.backbone.stem_channels == 128
        assert m.backbone.strides == (1, 2, 2, 2) and m.backbone.dilations == (1, 1, 1, 1)
        assert cfg.optim_wrapper.optimizer.type == 'AdamW'
        assert cfg.optim_wrapper.optimizer.weight_decay == 0.01
        assert cfg.train_dataloader.dataset.extra_maps == dict(gt_scribble='Scribbles')
        ratios = cfg.tta_pipeline[1].transforms[0]
        assert [t.scale_factor for t in ratios] == [0.5, 0.75, 1.0, 1.25]
    if name == 'r101_voc':
        assert cfg.optim_wrapper.optimizer.lr == 3e-5 and cfg.train_cfg.max_iters == 42320
        assert _switch_iter(cfg) == 10000 and cfg.train_dataloader.batch_size == 5
        assert m.decode_head.num_classes == 21
    if name == 'blpseg_r101_2xb4-53k_pascal-context-scribble-384x384':
        assert _switch_iter(cfg) == 20000 and m.decode_head.num_classes == 60
    if 'synthetic' in name:
        fs = Config.fromfile(
            osp.join(REPO, 'configs', 'fully_supervised', 'deeplabv3_r18-d8_1xb8-2k_synthetic-112x112.py'))
        assert m.backbone == fs.model.backbone  # the shared small backbone
        assert m.data_preprocessor == fs.model.data_preprocessor
        assert cfg.train_cfg == fs.train_cfg and cfg.optim_wrapper == fs.optim_wrapper  # the shared schedule
        assert (m.lam is None) == name.startswith(('partial-ce_', 'blpseg-blploss_'))
        assert (_switch_iter(cfg) is None) == (name != 'blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112')
        assert (m.decode_head.loss_decode.gamma == 0.0) == name.startswith('partial-ce_')
        if name != 'blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112':
            return
        model = MODELS.build(m)
        model.eval()
        with torch.no_grad():
            assert model._forward(torch.randn(1, 3, 48, 48)).shape == (1, 7, 12, 12)
    elif name == 'r101_voc':
        m.backbone.norm_cfg = m.decode_head.norm_cfg = dict(type='BN', requires_grad=True)
        m.pretrained = None
        model = MODELS.build(m)
        stem = model.backbone.stem
        assert [stem[0].out_channels, stem[3].out_channels, stem[6].out_channels] == [64, 64, 128]


@pytest.mark.parametrize('align', [True, False])
def test_tta_resize_to_original_size_align_corners(align):
    """BLPSeg test.py: each TTA output (at its input size) is resized to the original size with
    align_corners=True, un-flipped, and the logits are averaged. test_cfg['resize_align_corners']=False is
    mmseg's resize (the head's align_corners)."""
    import torch.nn.functional as F
    model = _model(test_cfg=dict(mode='whole', resize_align_corners=align))
    assert _model().resize_align_corners is True  # the original's by default
    model.eval()
    ori = (36, 40)
    img = torch.rand(3, 18, 20) * 255  # the image at TTA scale 0.5
    meta = dict(img_shape=(18, 20), ori_shape=ori, pad_shape=(18, 20), img_path='x.jpg')
    flip_meta = dict(meta, flip=True, flip_direction='horizontal')
    tta = MODELS.build(dict(type='WSSSTTAModel', merge='logit', module=model))
    data = dict(inputs=[[img.byte().float()], [img.byte().float().flip(-1)]],
                data_samples=[[SegDataSample(metainfo=meta)], [SegDataSample(metainfo=flip_meta)]])
    with torch.no_grad():
        merged = tta.test_step(data)[0].seg_logits.data
        x = img.byte().float()[None]
        a = model.encode_decode(x, [meta])  # logits at the input size (head's align_corners inside)
        b = model.encode_decode(x.flip(-1), [flip_meta]).flip(-1)
        # the original's formula: resize each output to the original size, then average
        expect = (F.interpolate(a, ori, mode='bilinear', align_corners=True) +
                  F.interpolate(b, ori, mode='bilinear', align_corners=True))[0] / 2
    other = (F.interpolate(a, ori, mode='bilinear', align_corners=False) +
             F.interpolate(b, ori, mode='bilinear', align_corners=False))[0] / 2
    if align:
        assert torch.allclose(merged, expect, atol=1e-5)
        assert (merged - other).abs().max() > 1e-3  # the option is visible at scale 0.5
    else:
        assert torch.allclose(merged, other, atol=1e-5)
    assert model.align_corners is False  # the forward's upsampling is unchanged


def test_blpseg_configs_resize_with_align_corners_like_test_py():
    for name in ('blpseg_r101_2xb5-42k_voc12aug-scribble-384x384', 'blpseg_r18-d8_1xb8-2k_synthetic-scribble-112x112'):
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'blpseg', name + '.py'))
        assert cfg.model.test_cfg['resize_align_corners'] is True
        # BLPSeg config.py TRAIN_SHUFFLE=False on VOC and Context; the embedded config shuffles
        assert cfg.train_dataloader.sampler.shuffle is ('synthetic' in name)
    ctx = Config.fromfile(osp.join(REPO, 'configs', 'blpseg', 'blpseg_r101_2xb4-53k_pascal-context-scribble-384x384.py'))
    assert ctx.train_dataloader.sampler.shuffle is False
