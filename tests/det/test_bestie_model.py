"""BESTIE model: losses, refinement in the training step, predict → mmdet pred_instances, metrics."""
import json

import numpy as np
import pytest
import torch


@pytest.fixture(scope='module')
def reg():
    import mmwsss.det  # noqa: F401
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    return MODELS


def _model(reg, sup='cls', refine=True):
    return reg.build(dict(
        type='BESTIE', num_classes=2, sup=sup, refine=refine,
        data_preprocessor=dict(type='DetDataPreprocessor', mean=[0, 0, 0], std=[1, 1, 1], pad_size_divisor=8),
        backbone=dict(_scope_='mmseg', type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
                      out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1)),
        head=dict(type='BestieHead', in_channels=[8, 16, 32, 64], in_index=[0, 1, 2, 3], fuse_channels=16,
                  head_channels=16),
        refine_cfg=dict(sigma=2, nms_kernel=7, min_area=10), test_cfg=dict(nms_kernel=7, min_area=10)))


def _samples(sup, n=2, h=48, w=48):
    from mmdet.structures import DetDataSample
    from mmengine.structures import PixelData
    from mmwsss.det.datasets.transforms.bestie_targets import generate_pseudo_targets
    out = []
    for _ in range(n):
        sem = np.zeros((h, w), np.uint8)
        sem[4:20, 4:44] = 1
        sem[28:44, 10:30] = 2
        pts = np.array([[10, 10, 0, 1], [35, 10, 0, 1], [20, 35, 1, 1]], np.float32)
        t = generate_pseudo_targets(sem, pts, 2, [0, 1], sup='point' if sup == 'point' else 'cls', sigma=2,
                                    min_area=10)
        s = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), img_path='x.jpg'))
        s.gt_sem_seg = PixelData(sem_seg=torch.from_numpy(sem.astype(np.int64))[None])
        s.gt_center = PixelData(data=torch.from_numpy(t['center']))
        s.gt_offset = PixelData(data=torch.from_numpy(t['offset']))
        s.gt_weight = PixelData(data=torch.from_numpy(t['weight']))
        s.gt_img_labels = torch.tensor([1.0, 1.0, 1.0])
        s.gt_points = torch.from_numpy(pts)
        out.append(s)
    return out


@pytest.mark.parametrize('sup,refine', [('cls', True), ('cls', False), ('point', True), ('full', False)])
def test_loss_and_backward(reg, sup, refine):
    torch.manual_seed(0)
    m = _model(reg, sup, refine)
    data = dict(inputs=[torch.randint(0, 255, (3, 48, 48), dtype=torch.uint8) for _ in range(2)],
                data_samples=_samples(sup))
    data = m.data_preprocessor(data, True)
    losses = m.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_seg', 'loss_center', 'loss_offset'}
    total = sum(losses.values())
    assert torch.isfinite(total) and total > 0
    total.backward()
    assert m.head.offset[2].weight.grad.abs().sum() > 0


def test_refined_terms_average_with_pseudo_terms(reg, monkeypatch):
    """With refinement on, centre/offset losses are ½(pseudo + refined) (BESTIE utils/loss.py)."""
    torch.manual_seed(0)
    m = _model(reg, 'cls', True)
    data = m.data_preprocessor(dict(inputs=[torch.zeros(3, 48, 48, dtype=torch.uint8)] * 2,
                                    data_samples=_samples('cls')), True)
    import mmwsss.det.models.bestie as mb
    zero = lambda seg, c, o, *a, **k: dict(center=torch.zeros_like(c), offset=torch.zeros_like(o),  # noqa: E731
                                           weight=torch.zeros_like(o[:, :1]))
    monkeypatch.setattr(mb, 'refine_label_generation', zero)
    with torch.no_grad():
        l_ref = m.loss(data['inputs'], data['data_samples'])
        m.refine = False
        l_plain = m.loss(data['inputs'], data['data_samples'])
    assert l_ref['loss_center'] == pytest.approx(0.5 * l_plain['loss_center'].item(), rel=1e-5)
    assert l_ref['loss_offset'] == pytest.approx(0.5 * l_plain['loss_offset'].item(), rel=1e-5)


def test_centre_weight_scales_only_the_centre_term(reg):
    """``loss_weights.center`` multiplies the centre term and leaves the others untouched."""
    torch.manual_seed(0)
    m = _model(reg, 'point', False)
    data = m.data_preprocessor(dict(inputs=[torch.randint(0, 255, (3, 48, 48), dtype=torch.uint8)] * 2,
                                    data_samples=_samples('point')), True)
    with torch.no_grad():
        l200 = m.loss(data['inputs'], data['data_samples'])
        m.loss_weights['center'] = 2.0
        l2 = m.loss(data['inputs'], data['data_samples'])
    assert l2['loss_center'].item() == pytest.approx(l200['loss_center'].item() / 100, rel=1e-5)
    assert l2['loss_seg'].item() == pytest.approx(l200['loss_seg'].item(), rel=1e-6)
    assert l2['loss_offset'].item() == pytest.approx(l200['loss_offset'].item(), rel=1e-6)


def test_embedded_configs_share_one_centre_weight_voc_keeps_the_spec():
    """Every embedded BESTIE row (oracle, points, image labels, OoD PAM, ablations, the main job's 88x88 rows) trains
    with the same loss weights, so their mAPs compare; the VOC configs keep the original's 1 / 200 / 0.01."""
    import glob
    import os.path as osp
    from mmengine.config import Config
    from ..conftest import REPO
    root = osp.join(REPO, 'configs', 'bestie')
    embedded = sorted(glob.glob(osp.join(root, 'bestie-*_r18*_synthetic-*.py')))
    voc = sorted(glob.glob(osp.join(root, 'bestie-*_hrnet48_*_voc12aug-*.py')))
    # six 112x112 rows and the main job's two 88x88 rows
    assert len(embedded) == 8 and len(voc) == 2
    weights = {osp.basename(p): dict(Config.fromfile(p).model.loss_weights) for p in embedded}
    assert len({tuple(sorted(w.items())) for w in weights.values()}) == 1, weights
    for p in voc:
        assert dict(Config.fromfile(p).model.loss_weights) == dict(seg=1.0, center=200.0, offset=0.01), p


def test_predict_returns_instances_at_original_size(reg):
    m = _model(reg).eval()
    samples = _samples('cls', n=1, h=64, w=64)
    samples[0].set_metainfo(dict(ori_shape=(50, 70)))
    data = m.data_preprocessor(dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)],
                                    data_samples=samples), False)
    out = m.predict(data['inputs'], data['data_samples'])
    p = out[0].pred_instances
    assert p.masks.shape[1:] == (50, 70) and p.masks.dtype == torch.bool
    assert len(p.labels) == len(p.scores) == len(p.bboxes) == p.masks.shape[0]
    raw = m._forward(data['inputs'])
    assert [t.shape[1] for t in raw] == [3, 2, 2] and raw[0].shape[2:] == (64, 64)
    # the semantic map of get_ins_map: argmax of the class probabilities at the output size
    sem = out[0].pred_sem_seg.data
    prob = torch.softmax(torch.nn.functional.interpolate(raw[0], size=(50, 70), mode='bilinear',
                                                         align_corners=False), 1)[0]
    assert sem.shape == (1, 50, 70) and sem.dtype == torch.long
    assert torch.equal(sem[0], prob.argmax(0))
    for mask, label in zip(p.masks, p.labels):  # every instance is cut from its class's region
        assert (sem[0][mask] == label + 1).all()


def _coco_gt(tmp_path, masks, labels):
    from pycocotools import mask as mu
    anns = []
    for i, (mk, lb) in enumerate(zip(masks, labels), 1):
        rle = mu.encode(np.asfortranarray(mk.astype(np.uint8)))
        rle['counts'] = rle['counts'].decode()
        ys, xs = np.nonzero(mk)
        bbox = [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
        anns.append(dict(id=i, image_id=1, category_id=int(lb) + 1, segmentation=rle, area=int(mk.sum()),
                         bbox=bbox, iscrowd=0))
    d = dict(images=[dict(id=1, file_name='a.jpg', height=40, width=40)], annotations=anns,
             categories=[dict(id=1, name='a'), dict(id=2, name='b')])
    p = tmp_path / 'gt.json'
    p.write_text(json.dumps(d))
    return str(p)


def test_pred_instances_accepted_by_coco_and_voc_metrics(reg, tmp_path):
    from mmdet.evaluation import CocoMetric
    from mmwsss.det.evaluation import VOCInstanceMetric
    from mmwsss.det.models.postprocess import get_instances, to_pred_instances
    from PIL import Image
    # two touching same-class instances + one of another class, predicted from perfect dense maps
    h = w = 40
    inst = np.zeros((h, w), np.uint8)
    inst[5:25, 2:18] = 1
    inst[5:25, 18:34] = 2
    inst[28:38, 5:35] = 3
    sem = np.zeros_like(inst)
    sem[(inst == 1) | (inst == 2)] = 1
    sem[inst == 3] = 2
    prob = torch.zeros(3, h, w)
    for c in range(3):
        prob[c][torch.from_numpy(sem == c)] = 1.0
    from mmwsss.det.datasets.transforms.bestie_targets import generate_oracle_targets
    t = generate_oracle_targets(inst, sem, 2, sigma=2)
    r = get_instances(prob, torch.from_numpy(t['center']), torch.from_numpy(t['offset']), nms_kernel=7, min_area=10)
    pred = to_pred_instances(r)
    assert len(pred) == 3
    masks = [inst == i for i in (1, 2, 3)]
    ann = _coco_gt(tmp_path, masks, [0, 0, 1])
    coco = CocoMetric(ann_file=ann, metric='segm')
    coco.dataset_meta = dict(classes=('a', 'b'))
    sample = dict(img_id=1, ori_shape=(h, w), pred_instances=dict(
        masks=pred.masks, labels=pred.labels, scores=pred.scores, bboxes=pred.bboxes))
    coco.process({}, [sample])
    res = coco.evaluate(1)
    assert res['coco/segm_mAP_50'] == pytest.approx(1.0)
    (tmp_path / 'SegmentationObject').mkdir()
    (tmp_path / 'SegmentationClass').mkdir()
    Image.fromarray(inst).save(tmp_path / 'SegmentationObject' / 'a.png')
    Image.fromarray(sem).save(tmp_path / 'SegmentationClass' / 'a.png')
    voc = VOCInstanceMetric(data_root=str(tmp_path))
    voc.dataset_meta = dict(classes=('a', 'b'))
    voc.process({}, [dict(img_path='x/a.jpg', pred_instances=dict(masks=pred.masks, labels=pred.labels,
                                                                  scores=pred.scores))])
    res = voc.evaluate(1)
    assert res['voc_ins/mAP50'] == pytest.approx(100.0) and res['voc_ins/mAP75'] == pytest.approx(100.0)


def test_export_coco_roundtrip():
    from pycocotools import mask as mu
    from mmwsss.det.stages.export_coco import build_coco_dict, instances_to_coco_annotations
    m = np.zeros((2, 10, 12), bool)
    m[0, 1:4, 2:6] = True
    m[1, 5:9, 0:3] = True
    anns = instances_to_coco_annotations(m, [1, 0], [0.9, 0.05], image_id=7, start_ann_id=3, score_thr=0.1)
    assert len(anns) == 1
    a = anns[0]
    assert (a['id'], a['image_id'], a['category_id'], a['area'], a['bbox']) == (3, 7, 2, 12, [2, 1, 4, 3])
    assert np.array_equal(mu.decode(dict(a['segmentation'], counts=a['segmentation']['counts'].encode())), m[0])
    d = build_coco_dict([dict(id=7, file_name='x.jpg', height=10, width=12)], anns, ('p', 'q'))
    assert d['categories'] == [dict(id=1, name='p'), dict(id=2, name='q')]


def test_oodpam_config_differs_from_the_image_label_config_only_in_its_peaks():
    import os.path as osp
    from mmengine.config import Config
    from ..conftest import REPO
    cls, ood = (Config.fromfile(osp.join(REPO, 'configs', 'bestie', f'bestie-{n}_r18-d8_1xb8-4k_synthetic-112x112.py')).to_dict()
                for n in ('cls', 'cls-oodpam'))
    assert ood['train_dataloader']['dataset']['data_prefix']['points_path'] == 'Peak_points_ood'
    assert Config.fromfile(osp.join(REPO, 'configs', 'bestie', 'pam-ood_r18-d8_1xb8-2k_synthetic-112x112.py')).peak_cfg.out_dir == \
        'Peak_points_ood'
    ood['train_dataloader']['dataset']['data_prefix']['points_path'] = 'Peak_points'
    assert ood == cls


@pytest.mark.parametrize('rescale', [False, True])
def test_predict_offsets_as_bestie_unless_rescaled(reg, monkeypatch, rescale):
    """BESTIE's get_ins_map applies the offsets as predicted (ratio target/output = 1 after upsampling)."""
    import mmwsss.det.models.bestie as bestie_mod
    seen = {}
    real = bestie_mod.get_instances

    def spy(prob, ctr, off, **kw):
        seen['off'] = off.clone()
        return real(prob, ctr, off, **kw)

    monkeypatch.setattr(bestie_mod, 'get_instances', spy)
    m = _model(reg).eval()
    m.test_cfg['rescale_offsets'] = rescale
    samples = _samples('cls', n=1, h=64, w=64)
    samples[0].set_metainfo(dict(ori_shape=(50, 70)))
    data = m.data_preprocessor(dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)],
                                    data_samples=samples), False)
    m.predict(data['inputs'], data['data_samples'])
    raw = torch.nn.functional.interpolate(m._forward(data['inputs'])[2], size=(50, 70), mode='bilinear',
                                          align_corners=False)[0]
    scale = torch.tensor([50 / 64, 70 / 64]).view(2, 1, 1) if rescale else 1.0
    assert torch.allclose(seen['off'], raw * scale, atol=1e-5)


def test_bestie_keeps_the_original_clustering_and_point_rules_by_default_embedded_configs_opt_out():
    """``cluster_complement`` and ``drop_points_on_zero_border`` default to BESTIE's rules (class and VOC configs);
    the embedded configs set both off (docs/fidelity.md)."""
    import glob
    import os.path as osp
    from mmengine.config import Config
    from mmwsss.det.models.bestie import BESTIE
    from ..conftest import REPO
    import inspect
    src = inspect.getsource(BESTIE.__init__)
    assert 'cluster_complement=True, drop_points_on_zero_border=True' in src and 'cluster_complement=True)' in src
    root = osp.join(REPO, 'configs', 'bestie')
    for p in sorted(glob.glob(osp.join(root, 'bestie-*.py'))):
        model = Config.fromfile(p).model
        want = 'voc12aug' in p or 'coco' in p
        assert model.refine_cfg['cluster_complement'] is want, p
        assert model.refine_cfg['drop_points_on_zero_border'] is want, p
        assert model.test_cfg['cluster_complement'] is want, p
