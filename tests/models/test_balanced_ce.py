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
