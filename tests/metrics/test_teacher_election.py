from __future__ import annotations

import math

import pytest

from metakd_ext.metrics import classification_election_scores, region_election_scores


def test_region_scores_sum_the_soft_dice_over_cases() -> None:
    rows = [
        {"case": c, "subset": s, "soft_dice_tc": tc, "soft_dice_wt": 0.5, "soft_dice_et": 0.0}
        for c in ("a", "b")
        for s, tc in (("flair", 0.2), ("t1ce", 0.6))
    ]
    scores = region_election_scores(rows)
    assert scores["TC"] == pytest.approx({"flair": 0.4, "t1ce": 1.2})
    assert set(scores) == {"TC", "WT", "ET"} and scores["WT"]["flair"] == 1.0


def test_classification_scores_rank_the_subsets() -> None:
    def row(subset: str, label: str, p_ad: float) -> dict:
        return {"subset": subset, "label": label, "prob_CN": 1 - p_ad, "prob_AD": p_ad}

    rows = [row("pet", "AD", 0.9), row("pet", "CN", 0.1), row("mri", "AD", 0.2), row("mri", "CN", 0.8)]
    rows.append(row("csf", "AD", 0.5))  # one class only: AUC undefined, the worst score
    scores = classification_election_scores(rows, ["CN", "AD"])["diagnosis"]
    assert scores["pet"] == 1.0 and scores["mri"] == 0.0 and math.isinf(scores["csf"])
