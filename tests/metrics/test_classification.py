from __future__ import annotations

import math

import numpy as np
import pytest

from metakd_ext.metrics import classification_scores


def test_hand_made_scores() -> None:
    labels = np.array([0, 0, 0, 1, 1, 2])
    probs = np.eye(3)[[0, 0, 1, 1, 2, 2]] * 0.8 + 0.1
    s = classification_scores(labels, probs)
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert s["balanced_accuracy"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    f1 = [2 * 2 / (3 + 2), 2 * 1 / (2 + 2), 2 * 1 / (1 + 2)]
    assert s["macro_f1"] == pytest.approx(np.mean(f1))
    assert 0.0 <= s["macro_auc"] <= 1.0


def test_perfect_and_inverted_auc() -> None:
    labels = np.array([0, 1, 0, 1])
    good = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])
    assert classification_scores(labels, good)["macro_auc"] == pytest.approx(1.0)
    assert classification_scores(labels, good[:, ::-1])["macro_auc"] == pytest.approx(0.0)


def test_single_class_and_empty() -> None:
    s = classification_scores(np.array([1, 1]), np.array([[0.2, 0.8, 0.0], [0.6, 0.4, 0.0]]))
    assert s["balanced_accuracy"] == pytest.approx(0.5)
    assert math.isnan(s["macro_auc"])
    assert all(math.isnan(v) for v in classification_scores(np.array([]), np.zeros((0, 3))).values())


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="labels must be in"):
        classification_scores(np.array([3]), np.ones((1, 3)) / 3)
    with pytest.raises(ValueError, match="shape"):
        classification_scores(np.array([0, 1]), np.ones((3, 3)))
