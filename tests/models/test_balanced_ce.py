"""ClassBalancedCELoss: weighted cross-entropy over the non-ignored pixels."""
import pytest
import torch


def test_matches_plain_ce_with_unit_weights_and_ignores_void():
    from mmseg.models.losses import CrossEntropyLoss

    from mmwsss.models.losses import ClassBalancedCELoss
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 5, 6)
    label = torch.randint(0, 4, (2, 5, 6))
    label[0, 0] = 255  # void / padding
    ours = ClassBalancedCELoss([1, 1, 1, 1])(logits, label)
    ref = CrossEntropyLoss(avg_non_ignore=True)(logits, label, ignore_index=255)
    assert torch.allclose(ours, ref, atol=1e-6)


def test_weights_scale_each_class_and_normalise_by_the_weight_sum():
    from mmwsss.models.losses import ClassBalancedCELoss
    torch.manual_seed(1)
    logits = torch.randn(1, 3, 4, 4)
    label = torch.tensor([[[0, 0, 1, 255]] * 4])
    w = torch.tensor([0.5, 4.0, 2.0])
    ce = torch.nn.functional.cross_entropy(logits, label, ignore_index=255, reduction='none')
    valid = label != 255
    expect = (w[label.clamp(max=2)] * ce)[valid].sum() / w[label.clamp(max=2)][valid].sum()
    assert torch.allclose(ClassBalancedCELoss(w.tolist())(logits, label), expect, atol=1e-6)
    # an all-void batch gives 0 with a gradient path
    out = ClassBalancedCELoss(w.tolist())(logits.requires_grad_(), torch.full_like(label, 255))
    assert out.item() == 0 and out.requires_grad
    with pytest.raises(ValueError, match='2 class weights for 3 classes'):
        ClassBalancedCELoss([1, 1])(logits, label)


def test_running_weights_follow_the_labels_seen_in_training():
    """class_weight='running': the weights of class_frequency.py from the pixel counts of every training batch."""
    from mmwsss.datasets.classes import balance_weights
    from mmwsss.models.losses import ClassBalancedCELoss
    torch.manual_seed(2)
    loss = ClassBalancedCELoss()  # 'running' is the default
    logits = torch.randn(2, 3, 4, 4)
    a = torch.zeros(2, 4, 4, dtype=torch.long)
    a[0, 0, :2] = 1  # 15 background, 2 class-1 pixels, class 2 absent
    a[1] = 255
    a[1, 0, 0] = 0
    out = loss(logits, a)
    counts = torch.tensor([15.0, 2.0, 0.0])
    _, w = balance_weights(counts.numpy())
    assert torch.allclose(loss.class_weight, torch.tensor(w, dtype=torch.float32))
    assert loss.class_weight[2] == loss.class_weight[1] > loss.class_weight[0]  # absent: the largest weight
    assert torch.allclose(out, ClassBalancedCELoss(w.tolist())(logits, a), atol=1e-6)
    b = torch.full((2, 4, 4), 2, dtype=torch.long)
    loss(logits, b)  # the counts accumulate: 15 / 2 / 32
    assert torch.allclose(loss.class_weight, torch.tensor(balance_weights([15, 2, 32])[1], dtype=torch.float32))
    # evaluation does not count; a checkpoint carries the counts into a fresh loss
    loss.eval()
    loss(logits, a)
    assert loss.pixel_counts.tolist() == [15, 2, 32]
    fresh = ClassBalancedCELoss()
    fresh.load_state_dict(loss.state_dict())
    assert fresh.pixel_counts.tolist() == [15, 2, 32] and torch.equal(fresh.class_weight, loss.class_weight)
    with pytest.raises(ValueError, match="a list of weights or 'running'"):
        ClassBalancedCELoss('auto')
    with pytest.raises(ValueError, match='use_sigmoid'):
        ClassBalancedCELoss(use_sigmoid=True)


def test_switching_the_type_of_the_plain_loss_builds_it():
    """One --cfg-options key turns mmseg's CrossEntropyLoss entry into the class-balanced loss."""
    from mmengine.config import Config
    from mmseg.registry import MODELS

    import mmwsss.models  # noqa: F401
    cfg = Config(dict(loss=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)))
    cfg.merge_from_dict({'loss.type': 'ClassBalancedCELoss'})
    loss = MODELS.build(cfg.loss)
    assert type(loss).__name__ == 'ClassBalancedCELoss' and loss.running
