"""CAMClassifier / WOoDClassifier, k-means prototypes, CAM generation and the CAM metric."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import mmwsss.seg  # noqa: F401  (registration)
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

DP = dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
          bgr_to_rgb=True, pad_val=0, seg_pad_val=255, size=(32, 32))
BACKBONE = dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, out_indices=(3, ),
                strides=(1, 2, 2, 1), dilations=(1, 1, 1, 1))


def _cam(**kw):
    from mmwsss.models.segmentors.cam_classifier import CAMClassifier
    torch.manual_seed(0)
    return CAMClassifier(backbone=BACKBONE, num_classes=4, in_channels=64, data_preprocessor=DP, **kw)


def _wood(**kw):
    from mmwsss.models.segmentors.wood_classifier import WOoDClassifier
    torch.manual_seed(0)
    return WOoDClassifier(backbone=BACKBONE, num_classes=4, in_channels=64, data_preprocessor=DP,
                          num_ood_prototypes=3, **kw)


def _sample(fg, h=32, w=32):
    s = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
    lab = torch.zeros(4)
    lab[0] = 1
    lab[[c + 1 for c in fg]] = 1
    s.gt_img_labels = lab
    return s


def test_logits_are_gap_of_cam_before_relu_and_no_bias():
    model = _cam().eval()
    assert model.classifier.bias is None and model.classifier.out_channels == 3
    x = torch.randn(2, 3, 32, 32)
    feat = model.extract_feat(x)
    logits = model.forward_logits(x)
    assert logits.shape == (2, 3)
    assert torch.allclose(logits, model.classifier(feat).mean(dim=(2, 3)), atol=1e-5)
    assert (model.cam_from_feat(feat) >= 0).all()
    assert torch.allclose(model(x, mode='tensor'), logits)


def test_loss_is_multilabel_soft_margin_and_trains():
    model = _cam(freeze_bn=False)  # random init: BN statistics must be learned
    x = torch.randn(4, 3, 32, 32)
    samples = [_sample([0]), _sample([1, 2]), _sample([]), _sample([2])]
    y = torch.tensor([[1., 0, 0], [0, 1, 1], [0, 0, 0], [0, 0, 1]])
    model.train()
    losses = model(x, samples, mode='loss')
    ref = F.binary_cross_entropy_with_logits(model.forward_logits(x), y)
    assert losses['loss_cls'].item() == pytest.approx(ref.item(), rel=1e-5)
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    first = losses['loss_cls'].item()
    for _ in range(12):
        opt.zero_grad()
        loss = model(x, samples, mode='loss')['loss_cls']
        loss.backward()
        opt.step()
    assert loss.item() < first * 0.5  # overfits a fixed batch


def test_labels_from_seg_map_and_errors():
    from mmwsss.models.segmentors.cam_classifier import img_labels_from_samples
    s = SegDataSample()
    s.gt_sem_seg = PixelData(data=torch.tensor([[[0, 2, 255], [3, 3, 0]]]))
    assert img_labels_from_samples([s], 4).tolist() == [[0, 1, 1]]
    bad = SegDataSample(metainfo=dict(img_path='x.jpg'))
    bad.gt_img_labels = torch.ones(5)
    with pytest.raises(ValueError, match='x.jpg'):
        img_labels_from_samples([bad], 4)
    with pytest.raises(ValueError, match='neither'):
        img_labels_from_samples([SegDataSample()], 4)


def test_freeze_bn_keeps_running_stats():
    model = _cam(freeze_bn=True).train()
    bn = model.backbone.stem[1]
    mean = bn.running_mean.clone()
    model(torch.randn(2, 3, 32, 32) * 5 + 3, [_sample([0]), _sample([1])], mode='loss')
    assert not bn.training and torch.equal(bn.running_mean, mean)
    model2 = _cam(freeze_bn=False).train()
    model2(torch.randn(2, 3, 32, 32) * 5 + 3, [_sample([0]), _sample([1])], mode='loss')
    assert not torch.equal(model2.backbone.stem[1].running_mean, mean)


def test_multiscale_flip_cam_and_predict():
    from mmwsss.models.segmentors.cam_classifier import normalize_cams
    model = _cam().eval()
    x = torch.randn(1, 3, 32, 32)
    (single, ) = model.multiscale_cam(x)
    (flipped, ) = model.multiscale_cam(x, flip=True)
    (flipped_input, ) = model.multiscale_cam(x.flip(-1))
    assert torch.allclose(flipped, single + flipped_input.flip(-1), atol=1e-5)
    (ms, ) = model.multiscale_cam(x, scales=(1.0, 0.5))
    (half, ) = model.multiscale_cam(F.interpolate(x, size=(16, 16), mode='bilinear', align_corners=False),
                                    out_sizes=[(32, 32)])
    assert torch.allclose(ms, single + half, atol=1e-5)
    cams = torch.rand(2, 5, 6) * torch.tensor([3.0, 0.5])[:, None, None]
    n = normalize_cams(cams)
    assert torch.allclose(n.flatten(1).max(1).values, torch.tensor([3.0, 0.5]).new_tensor(
        [cams[0].max() / (cams[0].max() + 1e-5), cams[1].max() / (cams[1].max() + 1e-5)]))
    assert torch.allclose(n[0] * (cams[0].max() + 1e-5), cams[0])
    model.test_cfg.update(bg_thr=0.2, scales=(1.0, 0.5), flip=True)
    out = model(x, [_sample([1], 32, 32)], mode='predict')[0]
    scores = out.seg_logits.data
    assert scores.shape == (4, 32, 32)
    assert torch.all(scores[0] == 0.2)
    assert scores[1].abs().max() == 0 and scores[3].abs().max() == 0  # only the labelled class
    assert set(out.pred_sem_seg.data.unique().tolist()) <= {0, 2}


def test_kmeans_and_class_prototypes():
    from mmwsss.models.segmentors.wood_classifier import class_mean_prototypes, kmeans_lloyd
    torch.manual_seed(0)
    centres = torch.tensor([[0., 0.], [10., 10.], [-10., 10.]])
    x = torch.cat([c + 0.1 * torch.randn(20, 2) for c in centres])
    x = x[torch.randperm(60)]
    c, assign = kmeans_lloyd(x, 3, niter=10)
    for ref in centres:
        assert (c - ref).norm(dim=1).min() < 0.2
    assert torch.bincount(assign).tolist() == [20, 20, 20]
    # duplicated first points -> an empty cluster keeps its centre instead of NaN
    dup = torch.cat([torch.zeros(3, 2), torch.ones(5, 2)])
    c2, _ = kmeans_lloyd(dup, 3)
    assert torch.isfinite(c2).all()
    with pytest.raises(ValueError, match='at least k'):
        kmeans_lloyd(torch.zeros(2, 2), 3)
    feats = torch.tensor([[1., 0.], [3., 0.], [0., 4.]])
    labels = torch.tensor([[1., 0., 0.], [1., 1., 0.], [0., 1., 0.]])
    protos = class_mean_prototypes(feats, labels)
    assert protos.tolist() == [[2., 0.], [1.5, 2.], [0., 0.]]


def test_wood_train_step_uses_ood_losses_and_updates():
    from mmengine.optim import OptimWrapper
    model = _wood(adv_step=0.07)
    model.train()
    imgs = [torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8) for _ in range(2)]
    data = dict(inputs=imgs, data_samples=[_sample([0]), _sample([2])],
                ood_inputs=[torch.randint(0, 255, (3, 28, 32), dtype=torch.uint8),
                            torch.randint(0, 255, (3, 32, 30), dtype=torch.uint8)])
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    with pytest.raises(RuntimeError, match='prototypes'):
        model.train_step(dict(data), wrapper)
    with pytest.raises(ValueError, match='prototypes must be'):
        model.set_prototypes(torch.zeros(2, 64), torch.zeros(3, 64))
    model.set_prototypes(torch.randn(3, 64), torch.randn(3, 64))
    w0 = model.classifier.weight.clone()
    log = model.train_step(dict(data), wrapper)
    assert {'loss_cls', 'loss_metric', 'loss_ood', 'loss'} <= set(log)
    assert np.isfinite(float(log['loss']))
    assert not torch.equal(model.classifier.weight, w0)
    ood = model.preprocess_ood(data['ood_inputs'])
    assert ood.shape == (2, 3, 32, 32) and ood[0, :, 28:].abs().max() == 0  # zero (= mean) padding
    # buffers are in the state dict so a resumed run keeps the fixed prototypes
    sd = model.state_dict()
    assert bool(sd['prototypes_ready']) and sd['ood_prototypes'].shape == (3, 64)
    # without OoD inputs it is the plain classifier loss
    batch = model.data_preprocessor(dict(inputs=imgs, data_samples=[_sample([0]), _sample([2])]), True)
    assert set(model.loss(batch['inputs'], batch['data_samples'])) == {'loss_cls'}


def _write_images(root, n=3, size=(30, 26)):
    rng = np.random.default_rng(0)
    os.makedirs(osp.join(root, 'img'), exist_ok=True)
    os.makedirs(osp.join(root, 'gt'), exist_ok=True)
    ids = [f'i{k}' for k in range(n)]
    for k, name in enumerate(ids):
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(osp.join(root, 'img', name + '.jpg'))
        gt = np.zeros(size, np.uint8)
        gt[5:20, 5:15] = k % 3 + 1
        gt[0, :] = 255
        Image.fromarray(gt).save(osp.join(root, 'gt', name + '.png'))
    return ids


def test_make_cams_resume_and_eval(tmp_path):
    from mmwsss.stages.cam import compute_cam, eval_cams, make_cams
    model = _cam().eval()
    root = str(tmp_path)
    ids = _write_images(root)
    labels = {f'i{k}': [k % 3] for k in range(3)}
    out = osp.join(root, 'cams')
    assert make_cams(model, ids, osp.join(root, 'img'), labels, out, scales=(1.0, 0.5), flip=True) == 3
    d = np.load(osp.join(out, 'i1.npy'), allow_pickle=True).item()
    assert d['keys'].tolist() == [1]
    assert d['cam'].shape == (1, 8, 7) and d['high_res'].shape == (1, 30, 26)
    assert d['high_res'].max() <= 1.0
    mtime = os.path.getmtime(osp.join(out, 'i1.npy'))
    assert make_cams(model, ids, osp.join(root, 'img'), labels, out) == 0  # resumed, nothing rewritten
    assert os.path.getmtime(osp.join(out, 'i1.npy')) == mtime
    with pytest.raises(ValueError, match='i9'):
        make_cams(model, ['i9'], osp.join(root, 'img'), labels, out)
    empty = compute_cam(model, np.zeros((9, 9, 3), np.uint8), [])
    assert empty['cam'].shape == (0, 3, 3)
    # hand-made perfect CAMs: mIoU 1 at any threshold below 1, background-only at threshold 1
    perfect = osp.join(root, 'perfect')
    from mmwsss.utils import atomic_save_npy
    for k, name in enumerate(ids):
        gt = np.asarray(Image.open(osp.join(root, 'gt', name + '.png')))
        cam = (gt == k % 3 + 1).astype(np.float32)[None]
        atomic_save_npy(osp.join(perfect, name + '.npy'),
                        np.array(dict(keys=np.array([k % 3]), cam=cam[:, ::4, ::4], high_res=cam), dtype=object))
    res = eval_cams(perfect, osp.join(root, 'gt'), ids, 4, thresholds=(0.5, 1.5))
    assert res['results'][0.5][0] == pytest.approx(1.0)
    assert res['best_thr'] == 0.5
    iou_bg_only = res['results'][1.5][1]
    assert iou_bg_only[1:].tolist() == [0.0, 0.0, 0.0]
    # every perfect CAM peaks on its object; class k % 3 + 1 of the three images covers classes 1-3 once each
    assert res['peak_on_object'][1:].tolist() == [1.0, 1.0, 1.0] and np.isnan(res['peak_on_object'][0])
    # CAMs that peak on the background (context) instead
    ctx = osp.join(root, 'context')
    for k, name in enumerate(ids):
        gt = np.asarray(Image.open(osp.join(root, 'gt', name + '.png')))
        cam = (gt == 0).astype(np.float32)[None] * (1.0 if k else 0.5)
        cam[0][gt == k % 3 + 1] = 0.9  # image 0: object above the context, images 1-2: below
        atomic_save_npy(osp.join(ctx, name + '.npy'),
                        np.array(dict(keys=np.array([k % 3]), cam=cam[:, ::4, ::4], high_res=cam), dtype=object))
    assert eval_cams(ctx, osp.join(root, 'gt'), ids, 4, thresholds=(0.5, ))['peak_on_object'][1:].tolist() == \
        [1.0, 0.0, 0.0]


def test_eval_label_dir_counts_255_as_background(tmp_path):
    from mmwsss.stages.cam import eval_label_dir
    os.makedirs(tmp_path / 'p')
    os.makedirs(tmp_path / 'g')
    gt = np.array([[0, 1], [1, 255]], np.uint8)
    pred = np.array([[255, 1], [0, 1]], np.uint8)
    Image.fromarray(gt).save(tmp_path / 'g' / 'x.png')
    Image.fromarray(pred).save(tmp_path / 'p' / 'x.png')
    miou, iou = eval_label_dir(str(tmp_path / 'p'), str(tmp_path / 'g'), ['x'], 2)
    # bg: TP 1 (255 -> 0), GT 1, pred 2 -> 1/2; class 1: TP 1, GT 2, pred 1 -> 1/2
    assert iou.tolist() == [0.5, 0.5] and miou == 0.5


def test_cam_metric_sweeps_thresholds():
    from mmwsss.evaluation.metrics.cam_metric import CAMMetric
    metric = CAMMetric(thresholds=(0.3, 0.7))
    metric.dataset_meta = dict(classes=('background', 'a', 'b'))
    cams = torch.zeros(3, 2, 2)
    cams[1] = torch.tensor([[0.5, 0.9], [0.1, 0.0]])
    gt = torch.tensor([[[1, 1], [0, 255]]])
    metric.process({}, [dict(seg_logits=dict(data=cams), gt_sem_seg=dict(data=gt))])
    res = metric.compute_metrics(metric.results)
    # t=0.3: pred [[1,1],[0,*]] -> bg 1, a 1 (b absent -> NaN); t=0.7: pred [[0,1],[0,*]] -> bg 1/2, a 1/2
    assert res['mIoU@0.3'] == 100.0 and res['mIoU@0.7'] == 50.0
    assert res['best_thr'] == 0.3 and res['mIoU'] == 100.0


def test_hand_fed_inputs_match_the_data_preprocessor():
    """CAM inputs (RGB arrays) and the W-OoD OoD stream (loaded BGR tensors) reach the model exactly as the ID
    training images do; a swapped channel order here once fed every CAM tool BGR images of an RGB model."""
    from mmwsss.stages.cam import image_to_input
    model = _wood()
    bgr = torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8)
    ref = model.data_preprocessor(dict(inputs=[bgr], data_samples=None), False)['inputs']
    rgb_hwc = bgr.flip(0).permute(1, 2, 0).numpy()
    assert torch.allclose(image_to_input(model, rgb_hwc), ref, atol=1e-5)
    assert torch.allclose(model.preprocess_ood([bgr]), ref, atol=1e-5)


def test_compute_cam_follows_irn_make_cam():
    """IRN step/make_cam.py: PIL-bicubic rescales of the uint8 image; high_res at the 16-multiple size, cropped."""
    from mmwsss.models.segmentors.cam_classifier import normalize_cams
    from mmwsss.models.utils import image_to_input
    from mmwsss.stages.cam import compute_cam, rescale_image
    model = _cam().eval()
    with torch.no_grad():
        model.classifier.weight.normal_(0, 1)  # CAMs of every sign
    img = np.random.default_rng(1).integers(0, 256, (30, 26, 3), dtype=np.uint8)
    out = compute_cam(model, img, [0, 1, 2], scales=(1.0, 0.5), flip=True)
    strided, high = 0, 0
    with torch.no_grad():
        for s in (1.0, 0.5):
            small = np.asarray(Image.fromarray(img).resize((round(26 * s), round(30 * s)), Image.BICUBIC))
            x = image_to_input(model, small)
            cam = model.cam_from_feat(model.extract_feat(torch.cat([x, x.flip(-1)])))
            cam = cam[:1] + cam[1:].flip(-1)
            strided = strided + F.interpolate(cam, size=(8, 7), mode='bilinear', align_corners=False)
            high = high + F.interpolate(cam, size=(32, 32), mode='bilinear', align_corners=False)[..., :30, :26]
    np.testing.assert_allclose(out['cam'], normalize_cams(strided[0]).numpy(), atol=1e-5)
    np.testing.assert_allclose(out['high_res'], normalize_cams(high[0]).numpy(), atol=1e-5)
    assert out['high_res'].max() > 0.99  # some class has a non-zero CAM
    assert rescale_image(img, 1.0) is img
    direct = compute_cam(model, img, [0, 1, 2], scales=(1.0, 0.5), resize='bilinear', high_res='direct')
    assert np.abs(direct['high_res'] - out['high_res']).max() > 1e-3
    with pytest.raises(ValueError, match='resize'):
        compute_cam(model, img, [0], resize='nearest')


def test_gt_checkpoint_score_is_wood_eval_cam_sub(tmp_path):
    """W-OoD's checkpoint score (train_cam_clustering.py eval_cam_sub): the prediction/label lists grow across the
    thresholds (never reset), the confusion of all of them gives each threshold's mIoU, the best one is the score."""
    from mmwsss.stages.cam import compute_cam, gt_cam_checkpoint_score
    model = _cam().eval()
    root = str(tmp_path)
    ids = _write_images(root, n=4)
    labels = {f'i{k}': [k % 3] for k in range(4)}
    thresholds = (0.06, 0.3, 0.6)
    score, mious = gt_cam_checkpoint_score(model, ids, osp.join(root, 'img'), osp.join(root, 'gt'), labels, 4,
                                           thresholds)
    # the original's loop, written out: preds/labels appended per threshold, confusion of the whole lists
    preds, gts, expect = [], [], []
    for t in thresholds:
        for name in ids:
            img = np.asarray(Image.open(osp.join(root, 'img', name + '.jpg')).convert('RGB'))
            cams = compute_cam(model, img, labels[name], (0.5, 1.0, 1.5, 2.0), True)['high_res']
            cams = np.pad(cams, ((1, 0), (0, 0), (0, 0)), mode='constant', constant_values=t)
            keys = np.pad(np.asarray(labels[name]) + 1, (1, 0), mode='constant')
            preds.append(keys[np.argmax(cams, axis=0)])
            gts.append(np.asarray(Image.open(osp.join(root, 'gt', name + '.png'))).astype(np.int64))
        p, g = np.concatenate([x.ravel() for x in preds]), np.concatenate([x.ravel() for x in gts])
        keep = g != 255  # chainercv's VOC loader turns 255 into -1, which the confusion skips
        conf = np.bincount(4 * g[keep] + p[keep], minlength=16).reshape(4, 4)
        with np.errstate(invalid='ignore', divide='ignore'):
            expect.append(np.nanmean(np.diag(conf) / (conf.sum(1) + conf.sum(0) - np.diag(conf))))
    assert mious == pytest.approx(expect, abs=1e-9) and score == pytest.approx(max(expect))
    alone, per = gt_cam_checkpoint_score(model, ids, osp.join(root, 'img'), osp.join(root, 'gt'), labels, 4,
                                         thresholds, accumulate=False)
    assert per[0] == pytest.approx(expect[0]) and alone == pytest.approx(max(per))
    assert per[-1] != pytest.approx(expect[-1])  # accumulation matters once several thresholds are pooled


def test_wood_voc_config_saves_the_originals_gt_selection_candidates():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs', 'wood',
                                   'wood_r50-d16_1xb16-5e_voc12aug-512x512.py'))
    h = cfg.default_hooks.checkpoint
    saved = [k for k in range(1, cfg.max_iters + 1) if k >= h.save_begin and (k - h.save_begin) % h.interval == 0]
    # W-OoD: in epoch 5 of 661 steps, before steps 500, 510, ..., 660 (= after 4 * 661 + step iterations) + the last
    assert saved == [4 * 661 + s for s in range(500, 661, 10)] and h.save_last and cfg.max_iters == 3305
    assert h.max_keep_ckpts == -1
