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


def test_silenced_features_keep_a_large_normalised_term() -> None:
    torch.manual_seed(0)
    feats = torch.randn(2, 3, 4, 4, 4, 4)
    silenced = 1e-4 * feats  # what training made of the bottleneck: every feature near 0
    mask = torch.ones(2, 3, dtype=torch.bool)
    plain, normalised = PairwiseModalityKDLoss(), PairwiseModalityKDLoss(normalize=True)
    assert plain(silenced, mask, RATIOS).item() == pytest.approx(1e-4 * plain(feats, mask, RATIOS).item(), rel=1e-4)
    assert normalised(silenced, mask, RATIOS).item() == pytest.approx(normalised(feats, mask, RATIOS).item(), rel=1e-2)
    assert normalised(silenced, mask, RATIOS).item() > 1.0


def test_normalised_features_that_agree_up_to_scale_and_shift_give_zero() -> None:
    torch.manual_seed(0)
    f = torch.randn(1, 1, 4, 3, 3, 3)
    feats = torch.cat([f, 5.0 * f + 2.0], dim=1)
    mask = torch.ones(1, 2, dtype=torch.bool)
    assert PairwiseModalityKDLoss(normalize=True)(feats, mask, torch.ones(2, 2)).item() == pytest.approx(0, abs=1e-4)
    assert PairwiseModalityKDLoss()(feats, mask, torch.ones(2, 2)).item() > 1.0


def test_to_weaker_keeps_exactly_the_pairs_whose_teacher_weight_is_above_the_students() -> None:
    torch.manual_seed(0)
    learner = ModalityWeightLearner(4)
    with torch.no_grad():
        learner.logits.copy_(torch.tensor([2.0, 0.5, 0.5, 1.0]))  # p_0 > p_3 > p_1 = p_2
    ratios = learner.ratios()
    loss = PairwiseModalityKDLoss(pairs="to_weaker")
    mask = torch.tensor([[1, 1, 1, 1], [0, 1, 1, 1]]).bool()
    weights, available = loss.pair_weights(mask, ratios)
    p = learner.weights().detach()
    expected = available & (p[:, None] > p[None, :])
    assert torch.equal(weights != 0, expected)
    kept = {tuple(ij) for ij in expected[0].nonzero().tolist()}
    assert kept == {(0, 1), (0, 2), (0, 3), (3, 1), (3, 2)}  # never (1, 2) nor (2, 1): equal weights
    assert torch.allclose(weights[expected], ratios.expand(2, 4, 4)[expected])
    feats = torch.randn(2, 4, 3, 2, 2, 2, requires_grad=True)
    loss(feats, mask, ratios).backward()
    assert torch.all(feats.grad[:, 0] == 0)  # the strongest modality is never a student
    assert torch.all(feats.grad[0, 1] != 0) and torch.all(feats.grad[1, 3] == 0)  # sample 1: 3 teaches, not learns
    all_pairs = PairwiseModalityKDLoss()
    assert torch.equal(all_pairs.pair_weights(mask, ratios)[0] != 0, available)


def test_scales_are_averaged_with_their_weights() -> None:
    torch.manual_seed(0)
    fine, coarse = torch.randn(2, 3, 2, 8, 8, 8), torch.randn(2, 3, 4, 2, 2, 2)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]]).bool()
    one = PairwiseModalityKDLoss()
    values = [one(fine, mask, RATIOS), one(coarse, mask, RATIOS)]
    assert one([fine, coarse], mask, RATIOS).item() == pytest.approx((values[0] + values[1]).item() / 2)
    weighted = PairwiseModalityKDLoss(scale_weights=[1.0, 3.0])
    assert weighted([fine, coarse], mask, RATIOS).item() == pytest.approx((values[0] + 3 * values[1]).item() / 4)
    with pytest.raises(ValueError, match="`scale_weights` has 2 entries but the features have 1 scales"):
        weighted([fine], mask, RATIOS)
    with pytest.raises(ValueError, match="`scale_weights` must be non-negative"):
        PairwiseModalityKDLoss(scale_weights=[-1.0, 1.0])
    with pytest.raises(ValueError, match="`pairs` must be one of 'all', 'to_weaker'"):
        PairwiseModalityKDLoss(pairs="strongest")


def test_vectors_are_standardised_over_their_features() -> None:
    feats = torch.tensor([[[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]])  # (1, 2, 3): the same profile, another scale
    assert PairwiseModalityKDLoss(normalize=True)(feats, torch.ones(1, 2).bool(), torch.ones(2, 2)).item() < 1e-4
