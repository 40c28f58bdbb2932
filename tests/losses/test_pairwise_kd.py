from __future__ import annotations

import pytest
import torch

from metakd_ext.losses import PairwiseModalityKDLoss
from metakd_ext.networks import ModalityWeightLearner

P = torch.tensor([0.5, 0.25, 0.25])
RATIOS = P[:, None] / P[None, :]


def _features() -> torch.Tensor:
    # sample 0: f0 = [0, 0], f1 = [1, 3], f2 = [2, 2]; sample 1: anything
    feats = torch.tensor([[[0.0, 0.0], [1.0, 3.0], [2.0, 2.0]], [[5.0, 5.0], [1.0, 1.0], [0.0, 0.0]]])
    return feats.reshape(2, 3, 1, 2).requires_grad_(True)


MASK = torch.tensor([[1, 1, 0], [0, 0, 1]]).bool()  # sample 1 has one modality: no pair


@pytest.mark.parametrize(
    "distance, reduction, expected",
    [
        # pairs (0,1), (1,0): r01 = 2, r10 = 0.5; mean |f0 - f1| = 2, mean (f0 - f1)^2 = 5; batch mean over 2 samples
        ("l1", "sum", (2 * 2 + 0.5 * 2) / 2),
        ("mse", "sum", (2 * 5 + 0.5 * 5) / 2),
        ("l1", "mean", (2 * 2 + 0.5 * 2) / 2 / 2),
    ],
)
def test_value_by_hand(distance: str, reduction: str, expected: float) -> None:
    loss = PairwiseModalityKDLoss(distance=distance, pair_reduction=reduction)
    assert loss(_features(), MASK, RATIOS).item() == pytest.approx(expected)


def test_no_gradient_to_teacher_or_ratio() -> None:
    feats = _features()
    learner = ModalityWeightLearner(3)
    ratios = learner.ratios()
    only_0_to_1 = torch.zeros(3, 3)
    only_0_to_1[0, 1] = 1.0  # teacher 0, student 1
    PairwiseModalityKDLoss()(feats, MASK, only_0_to_1).backward()
    assert torch.all(feats.grad[0, 0] == 0)  # the teacher gets nothing
    assert torch.all(feats.grad[0, 1] != 0)  # the student is pulled
    feats.grad = None
    PairwiseModalityKDLoss()(feats, MASK, ratios).backward()
    assert learner.logits.grad is None
    assert torch.all(feats.grad[0, 2] == 0)  # missing modality
    assert torch.all(feats.grad[1] == 0)  # single-modality sample


def test_lower_weight_student_pulled_harder() -> None:
    feats = _features()
    PairwiseModalityKDLoss()(feats, MASK, RATIOS).backward()
    # modality 1 (p = 0.25) learns from modality 0 (p = 0.5) with ratio 2; modality 0 from 1 with ratio 0.5
    assert feats.grad[0, 1].abs().sum() == pytest.approx(4 * feats.grad[0, 0].abs().sum())


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="`distance` must be one of 'l1', 'mse', got 'l2'"):
        PairwiseModalityKDLoss(distance="l2")
    with pytest.raises(ValueError, match="`modality_mask` must have shape"):
        PairwiseModalityKDLoss()(_features(), MASK[:, :2], RATIOS)
    with pytest.raises(ValueError, match="`ratios` must have shape"):
        PairwiseModalityKDLoss()(_features(), MASK, RATIOS[:2])
