from __future__ import annotations

import pytest

from metakd_ext.metrics import MEAN_ROW, SCORE_COLUMNS, summarize_subsets


def _row(subset: str, value: float) -> dict:
    return {"subset": subset, **dict.fromkeys(SCORE_COLUMNS, value)}


def test_mean_std_per_subset_and_mean_row() -> None:
    rows = [_row("a", 0.2), _row("a", 0.4), _row("a+b", 1.0)]
    table = summarize_subsets(rows, ["a", "b", "a+b"])
    assert [t["subset"] for t in table] == ["a", "a+b", MEAN_ROW]
    assert table[0]["dice_wt_mean"] == pytest.approx(0.3) and table[0]["dice_wt_std"] == pytest.approx(0.1)
    assert table[0]["cases"] == 2
    assert table[-1]["dice_et_mean"] == pytest.approx(0.65)
