from __future__ import annotations

import math

import pytest

from metakd_ext.metrics import paired_case_test


def test_a_consistent_lead_over_cases_is_significant() -> None:
    cases = [f"c{i}" for i in range(8)]
    reference = {s: {c: 0.8 + 0.01 * i for i, c in enumerate(cases)} for s in (0, 1)}
    other = {s: {c: 0.7 + 0.01 * i + 0.02 * s for i, c in enumerate(cases)} for s in (0, 1)}
    result = paired_case_test(reference, other)
    assert result["cases"] == 8 and result["seeds"] == 2
    assert result["mean_difference"] == pytest.approx(0.09)
    assert result["per_seed"] == pytest.approx([0.1, 0.08])
    assert (result["better"], result["worse"]) == (8, 0)
    assert result["p_value"] == pytest.approx(2 / 2**8)  # the smallest two-sided p of 8 cases


def test_cases_are_the_unit_and_only_shared_ones_pair() -> None:
    reference = {0: {"a": 0.9, "b": 0.5, "c": 0.6}, 1: {"a": 0.9, "b": 0.5}}
    other = {0: {"a": 0.8, "b": 0.6, "c": 0.1}, 1: {"a": 0.8, "b": 0.6}, 2: {"a": 0.0, "b": 0.0}}
    result = paired_case_test(reference, other)
    assert (result["cases"], result["seeds"], result["better"], result["worse"]) == (2, 2, 1, 1)
    assert result["mean_difference"] == pytest.approx(0.0)
    same = paired_case_test(reference, reference)
    assert same["p_value"] == 1.0 and same["mean_difference"] == 0.0
    assert math.isnan(paired_case_test({0: {"a": 1.0}}, {0: {"a": 0.0}})["p_value"])
    with pytest.raises(ValueError, match="share no seed and case"):
        paired_case_test({0: {"a": 1.0}}, {1: {"a": 1.0}})
