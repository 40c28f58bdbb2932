from __future__ import annotations

import pytest
import torch

from metakd_ext.networks import ModalityWeightLearner


def test_weights_and_ratios() -> None:
    learner = ModalityWeightLearner(4, init="zeros")
    assert torch.allclose(learner.weights(), torch.full((4,), 0.25))
    with torch.no_grad():
        learner.logits.copy_(torch.tensor([0.0, 1.0, 2.0, 3.0]))
    p = learner.weights()
    r = learner.ratios()
    assert torch.isclose(r[3, 0], p[3] / p[0])
    assert torch.allclose(r.diagonal(), torch.ones(4))
    assert not r.requires_grad
    assert learner.ratios(detach=False).requires_grad


def test_uniform_init_is_seeded() -> None:
    torch.manual_seed(1)
    a = ModalityWeightLearner(4).logits.detach().clone()
    torch.manual_seed(1)
    b = ModalityWeightLearner(4).logits.detach().clone()
    assert torch.equal(a, b) and a.min() >= 0 and a.max() < 1


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="`num_modalities` must be >= 2, got 1"):
        ModalityWeightLearner(1)
    with pytest.raises(ValueError, match="`init` must be one of"):
        ModalityWeightLearner(3, init="normal")
