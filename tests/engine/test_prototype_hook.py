"""WOoDPrototypeHook: class-mean and OoD k-means prototypes of the initial model, computed once."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmwsss.seg  # noqa: F401
from mmwsss.engine.hooks import WOoDPrototypeHook
from mmwsss.engine.hooks.prototype_hook import extract_gap_features
from mmwsss.models.segmentors.wood_classifier import class_mean_prototypes, kmeans_lloyd

C = 4  # classes incl. background


def _model(k=3):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='WOoDClassifier', num_ood_prototypes=k, num_classes=C, in_channels=32,
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=4, out_indices=(3, )),
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0., 0., 0.], std=[255., 255., 255.])))


def _batches(n, labelled, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        sample = SegDataSample()
        if labelled:
            lab = torch.zeros(C)
            lab[0] = lab[1 + i % (C - 1)] = 1.0
            sample.set_data(dict(gt_img_labels=lab))
        out.append(dict(inputs=[torch.randint(0, 255, (3, 32, 32), generator=g, dtype=torch.uint8)],
                        data_samples=[sample]))
    return out


def test_prototypes_are_class_means_and_ood_kmeans():
    model = _model()
    id_batches, ood_batches = _batches(6, True, 1), _batches(5, False, 2)
    runner = SimpleNamespace(model=model, build_dataloader=lambda cfg: cfg)
    hook = WOoDPrototypeHook(id_dataloader=id_batches, ood_dataloader=ood_batches, niter=5)
    hook.before_train(runner)
    assert bool(model.prototypes_ready)
    feats, labels = extract_gap_features(model, id_batches)
    assert labels.sum(0).tolist() == [2.0, 2.0, 2.0]
    assert torch.allclose(model.class_prototypes, class_mean_prototypes(feats, labels))
    ood, _ = extract_gap_features(model, ood_batches, with_labels=False)
    assert torch.allclose(model.ood_prototypes, kmeans_lloyd(ood, 3, 5)[0])
    # computed once: a resumed run keeps the stored prototypes unless asked to recompute
    kept = model.class_prototypes.clone()
    WOoDPrototypeHook(id_dataloader=_batches(3, True, 9), ood_dataloader=ood_batches).before_train(runner)
    assert torch.equal(model.class_prototypes, kept)
    WOoDPrototypeHook(id_dataloader=_batches(3, True, 9), ood_dataloader=ood_batches,
                      recompute=True).before_train(runner)
    assert not torch.equal(model.class_prototypes, kept)
    with pytest.raises(TypeError, match='WOoDClassifier'):
        hook.before_train(SimpleNamespace(model=torch.nn.Linear(1, 1), build_dataloader=lambda cfg: cfg))
    with pytest.raises(ValueError, match='empty'):
        extract_gap_features(model, [])
