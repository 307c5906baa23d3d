"""wsscoseg head and two-branch segmentor: architecture, losses, merged logits, inference."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmwsss.models.heads.wsscoseg_head import WSSCosegHead, labels_at_feat_res
from mmwsss.models.segmentors.wsscoseg import WSSCosegSegmentor, presence_from_samples, upsample_probs_x8

BACKBONE = dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, num_stages=4, out_indices=(0, 1, 2, 3),
                dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1), norm_cfg=dict(type='BN', requires_grad=True),
                norm_eval=False, style='pytorch', contract_dilation=True)


def _model(global_branch=True, **gkw):
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    import mmwsss.seg  # noqa: F401
    head = dict(type='WSSCosegHead', in_channels=64, in_index=3, channels=16, dilation=2, num_classes=4)
    gb = dict(channels=(12, 12), **gkw) if global_branch else None
    m = WSSCosegSegmentor(backbone=BACKBONE, decode_head=head, global_branch=gb, test_cfg=dict(mode='whole'),
                          data_preprocessor=dict(type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1]))
    m.init_weights()
    return m


def _sample(seg, labels=None):
    ds = SegDataSample(metainfo=dict(img_shape=seg.shape, ori_shape=seg.shape))
    ds.gt_sem_seg = PixelData(data=torch.as_tensor(seg)[None].long())
    if labels is not None:
        ds.set_data(dict(gt_img_labels=torch.as_tensor(labels, dtype=torch.float32)))
    return ds


def test_head_architecture_and_feat_res_ce():
    torch.manual_seed(0)
    head = WSSCosegHead(in_channels=8, channels=6, fc_channels=5, dilation=3, num_classes=3, in_index=0)
    assert head.new_conv1.dilation == (3, 3) and head.new_conv1.padding == (3, 3) and head.new_conv1.bias is not None
    assert head.fc.kernel_size == (1, 1) and head.conv_seg.in_channels == 5 and head.conv_seg.out_channels == 3
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in head.modules())
    assert head.new_conv1.weight.std().item() == pytest.approx(0.01, rel=0.3)
    logits = torch.randn(2, 3, 4, 4)
    seg = np.zeros((32, 32), np.int64)
    seg[:, 16:] = 2
    seg[:8, :8] = 255
    samples = [_sample(seg), _sample(np.ones((32, 32), np.int64))]
    lab = labels_at_feat_res(samples, (4, 4))
    assert lab.shape == (2, 4, 4) and lab[0, 0, 0] == 255 and lab[0, 1, 3] == 2 and lab[0, 1, 1] == 0
    loss = head.loss_by_feat(logits, samples)
    valid = lab != 255
    manual = F.cross_entropy(logits.permute(0, 2, 3, 1)[valid], lab[valid])  # mean over valid pixels (wsscoseg final_fcn_resnet50.py)
    assert loss['loss_ce'].item() == pytest.approx(manual.item(), rel=1e-5)
    head.train()
    out = head.forward([torch.randn(2, 8, 5, 5)])
    assert out.shape == (2, 3, 5, 5)


def test_head_norm_option_for_training_from_scratch():
    """norm_cfg turns new_conv1/fc into conv-BN blocks (embedded configs); the output is unchanged in shape and the
    first layer passes a unit-scale signal where the N(0, 0.01) stack attenuates it several times per layer."""
    torch.manual_seed(0)
    kw = dict(in_channels=32, channels=16, dilation=2, num_classes=3, in_index=0)
    plain, bn = WSSCosegHead(**kw), WSSCosegHead(norm_cfg=dict(type='BN'), **kw)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in bn.modules()) == 2
    assert bn.new_conv1.conv.dilation == (2, 2) and bn.new_conv1.conv.padding == (2, 2)
    x = [torch.randn(4, 32, 9, 9)]
    bn.train()
    h_bn = F.relu(bn.new_conv1(x[0]))
    h_plain = F.relu(plain.new_conv1(x[0]))
    assert h_bn.std().item() > 5 * h_plain.std().item()
    assert bn(x).shape == plain(x).shape == (4, 3, 9, 9)
    # a backward step reaches the input through both blocks
    xi = x[0].clone().requires_grad_(True)
    bn([xi]).sum().backward()
    assert xi.grad.abs().sum() > 0


def test_global_branch_copy_stride_and_merge():
    torch.manual_seed(0)
    m = _model().eval()
    gb = m.global_branch
    for name, p in m.backbone.layer3.state_dict().items():
        assert torch.equal(p, gb.layers[0].state_dict()[name]), name  # copied weights (wsscoseg final_fcn_resnet50.py)
    assert gb.layers[0][0].conv1.stride == (2, 2) and gb.layers[1][0].conv1.dilation == (1, 1)
    assert m.backbone.layer3[0].conv1.stride == (1, 1)  # the segmentation branch stays dilated
    with torch.no_grad():
        gb.g_score.bias.copy_(torch.tensor([0., 5., 0., -5.]))
        x = torch.randn(1, 3, 64, 64)
        feats = m.extract_feat(x)
        assert gb.layers(feats[1]).shape[-1] == 2  # 64 / 32
        S = m.decode_head.forward(feats)
        g = gb(feats)
        assert torch.allclose(m.lowres_logits(x), S + g[:, :, None, None])
        assert not torch.allclose(m.lowres_logits(x), S)
    # separate parameters: changing the branch leaves the segmentation path alone
    assert gb.layers[0][0].conv1.weight.data_ptr() != m.backbone.layer3[0].conv1.weight.data_ptr()


def test_loss_bce_weight_and_gradients():
    torch.manual_seed(0)
    m = _model(loss_weight=0.25).train()
    seg = np.zeros((32, 32), np.int64)
    seg[8:24, 8:24] = 2
    samples = [_sample(seg, [1, 0, 1, 0]), _sample(np.full((32, 32), 3), [1, 0, 0, 1])]
    x = torch.randn(2, 3, 32, 32)
    torch.manual_seed(1)
    losses = m.loss(x, samples)
    assert set(losses) >= {'decode.loss_ce', 'decode.acc_seg', 'global.loss_bce'}
    m.eval()
    with torch.no_grad():
        g = m.global_branch(m.extract_feat(x))
    t = torch.tensor([[1., 0, 1, 0], [1., 0, 0, 1]])
    with torch.no_grad():
        bce = F.binary_cross_entropy_with_logits(g, t)
    # in eval mode (no dropout) the loss is exactly 0.25 x the mean BCE over images and classes
    with torch.no_grad():
        l_eval = m.loss(x, samples)['global.loss_bce']
    assert l_eval.item() == pytest.approx(0.25 * bce.item(), rel=1e-5)
    m.train()
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert m.global_branch.g_score.weight.grad.abs().sum() > 0
    # the residual conv1 gets no gradient at init (zero-init residual BN); the shortcut does
    assert m.global_branch.layers[0][0].downsample[0].weight.grad.abs().sum() > 0
    assert presence_from_samples(samples, 4, 'seg').tolist() == [[1, 0, 1, 0], [0, 0, 0, 1]]
    with pytest.raises(ValueError, match='gt_img_labels'):
        presence_from_samples([_sample(seg)], 4, 'img_labels')


def test_global_target_background_only_when_in_the_whole_mask_like_wsscoseg(tmp_path):
    """wsscoseg cores/symbols/final_fcn_resnet50.py: the presence vector of the whole (un-cropped) estimated mask,
    background included only when it appears. ``LoadWSSSAnnotations(img_labels_background='present')`` gives that
    (the VOC final config); ``'always'`` (the loader's default for image-level labels) sets background in every
    image, so the two differ on a mask without background."""
    import os.path as osp
    from mmengine.config import Config
    from PIL import Image
    from mmwsss.datasets.transforms import LoadWSSSAnnotations
    from ..conftest import REPO
    no_bg = np.full((6, 8), 2, np.uint8)
    no_bg[0] = 255  # ignore is not background
    with_bg = no_bg.copy()
    with_bg[3, 3] = 0
    targets = {}
    for name, arr in (('no_bg', no_bg), ('with_bg', with_bg)):
        path = str(tmp_path / f'{name}.png')
        Image.fromarray(arr).save(path)
        for mode in ('always', 'present'):
            t = LoadWSSSAnnotations(img_labels_from='seg', img_labels_background=mode)
            r = t.transform(dict(seg_map_path=path, num_classes=4, ori_shape=(6, 8)))
            targets[name, mode] = presence_from_samples([_sample(r['gt_seg_map'].astype(np.int64),
                                                                 r['gt_img_labels'])], 4, 'img_labels')[0].tolist()
    assert targets['no_bg', 'present'] == [0, 0, 1, 0] and targets['no_bg', 'always'] == [1, 0, 1, 0]
    assert targets['with_bg', 'present'] == targets['with_bg', 'always'] == [1, 0, 1, 0]
    with pytest.raises(ValueError, match='label file'):
        LoadWSSSAnnotations(img_labels_from='file', img_labels_background='present').transform(
            dict(seg_map_path=str(tmp_path / 'no_bg.png'), num_classes=4, img_labels=[1], img_path='x.jpg'))
    with pytest.raises(ValueError, match='img_labels_background'):
        LoadWSSSAnnotations(img_labels_background='never')

    def loader(name):
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'wsscoseg', name))
        assert cfg.model.global_branch.presence_from == 'img_labels'
        return [t for t in cfg.train_pipeline if t['type'] == 'LoadWSSSAnnotations'][0]
    assert loader('wsscoseg-final_r50-d8_4xb4-28k_voc12aug-320x320.py')['img_labels_background'] == 'present'
    assert loader('wsscoseg-final_r18-d8_1xb8-8k_synthetic-112x112.py')['img_labels_background'] == 'always'


def test_predict_probabilities_at_original_size():
    torch.manual_seed(0)
    for gb, upsample in ((True, 'resize'), (False, 'resize'), (True, 'deconv')):
        m = _model(global_branch=gb).eval()
        m.test_cfg['upsample'] = upsample
        ds = SegDataSample(metainfo=dict(img_shape=(60, 44), ori_shape=(90, 66), padding_size=[0, 4, 0, 4]))
        with torch.no_grad():
            out = m.predict(torch.randn(1, 3, 64, 48), [ds])[0]
        p = out.seg_logits.data.exp()
        assert p.shape == (4, 90, 66)
        if upsample == 'resize':
            assert torch.allclose(p.sum(0), torch.ones(90, 66), atol=1e-4)
        else:  # the zero-padded deconvolutions lower the sum near the border only
            assert p.sum(0)[0, 0] < 0.5 and torch.allclose(p.sum(0)[12:-12, 12:-12], torch.ones(66, 42), atol=1e-4)
        # the argmax of the probabilities (exp of seg_logits up to rounding: near-ties of the untrained model)
        pred = out.pred_sem_seg.data
        assert torch.all(p.gather(0, pred)[0] >= p.max(0)[0] - 1e-6)
        assert (pred[0] == p.argmax(0)).float().mean() > 0.99
        assert (m.global_branch is not None) == gb


def test_upsample_x8_deconvolutions_like_wsscoseg_and_the_resize_option():
    """wsscoseg cores/symbols/final_fcn_resnet50.py upsamples x8 with three fixed bilinear x2 deconvolutions (kernel
    4, stride 2, pad 1, zero padding). On a hand-made 1x2 map each x2 step gives taps 1/4, 3/4 between neighbours
    and only 3/4 of the edge value at the border (zero padding): [a, b] -> [3a/4, (3a + b)/4, (a + 3b)/4, 3b/4]
    along x (times 3/4 along y on the single row). ``mode='resize'`` clamps at the border instead."""
    a, b = 0.2, 1.0
    p = torch.tensor([[[[a, b]]]], dtype=torch.float64)
    one = upsample_probs_x8(p, (2, 4), factor=2)
    assert torch.allclose(one[0, 0, 0], torch.tensor([3 * a / 4, (3 * a + b) / 4, (a + 3 * b) / 4, 3 * b / 4],
                                                    dtype=torch.float64) * 0.75)
    assert torch.allclose(upsample_probs_x8(p, (2, 4), factor=2, mode='resize')[0, 0, 0],
                          torch.tensor([a, (3 * a + b) / 4, (a + 3 * b) / 4, b], dtype=torch.float64))
    # x8 = three x2 steps, each the same bilinear x2 resize away from the border (7 px band at x8)
    torch.manual_seed(0)
    q = torch.softmax(torch.randn(1, 5, 6, 7, dtype=torch.float64), 1)
    deconv = upsample_probs_x8(q, (48, 56))
    cascade = q
    for _ in range(3):
        cascade = F.interpolate(cascade, scale_factor=2, mode='bilinear', align_corners=False)
    assert torch.allclose(deconv[..., 7:-7, 7:-7], cascade[..., 7:-7, 7:-7], atol=1e-12)
    assert not torch.allclose(deconv[..., 6:-6, 6:-6], cascade[..., 6:-6, 6:-6], atol=1e-6)
    # the corner keeps 3/4 x 3/4 of itself per step: probabilities summing to (9/16)^3 = 0.178 there
    assert deconv[0, :, 0, 0].sum().item() == pytest.approx((9 / 16) ** 3, abs=1e-12)
    # one x8 resize is not the x2 cascade, also inside the image
    resized = upsample_probs_x8(q, (48, 56), mode='resize')
    assert (resized[..., 8:-8, 8:-8] - cascade[..., 8:-8, 8:-8]).abs().max() > 1e-3
    # the effect stated in docs/fidelity.md: 21 classes, 40x40 N(0, 1) logits (seed 0), 7-px border band at x8
    torch.manual_seed(0)
    q = torch.softmax(torch.randn(1, 21, 40, 40), 1)
    deconv, resized = upsample_probs_x8(q, (320, 320)), upsample_probs_x8(q, (320, 320), mode='resize')
    changed = (deconv.argmax(1) != resized.argmax(1))[0]
    inner = torch.zeros(320, 320, dtype=torch.bool)
    inner[7:-7, 7:-7] = True
    assert 0.06 < changed[~inner].float().mean() < 0.08 and 0.07 < changed[inner].float().mean() < 0.085
    with pytest.raises(ValueError, match='mode'):
        upsample_probs_x8(q, (48, 56), mode='nearest')
    with pytest.raises(ValueError, match='power of two'):
        upsample_probs_x8(q, (18, 21), factor=3)


def test_upsample_and_config_errors():
    probs = torch.rand(1, 2, 3, 4)
    up = upsample_probs_x8(probs, (20, 30))
    assert up.shape == (1, 2, 20, 30)
    with pytest.raises(ValueError, match='larger'):
        upsample_probs_x8(probs, (25, 30))
    with pytest.raises(ValueError, match='unknown global_branch keys'):
        _model(width=3)
