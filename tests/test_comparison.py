from __future__ import annotations

from pathlib import Path

import pytest

from metakd_ext.comparison import case_scores, summary_tables
from metakd_ext.metrics import SCORE_COLUMNS
from metakd_ext.utils.io import atomic_write_text, csv_text


def _evaluation(folder: Path, case: str, dice: dict[str, float]) -> Path:
    """An evaluation folder of one case scored on the given subsets (the same Dice for every region)."""
    rows = [
        {"case": case, "subset": s, **{c: d if "dice" in c else 1.0 for c in SCORE_COLUMNS}} for s, d in dice.items()
    ]
    atomic_write_text(folder / "per_case.csv", csv_text(rows, ["case", "subset", *SCORE_COLUMNS]))
    summary = [{"subset": s} for s in [*dice, "mean over subsets"]]
    atomic_write_text(folder / "summary.csv", csv_text(summary, ["subset"]))
    return folder


def test_folds_of_a_seed_pool_into_one_table_and_one_score_per_case(tmp_path: Path) -> None:
    one = _evaluation(tmp_path / "fold0", "a", {"flair": 0.2, "t1": 0.4})
    two = _evaluation(tmp_path / "fold1", "b", {"flair": 0.6, "t1": 1.0})
    table = summary_tables([one, two])
    assert [r["subset"] for r in table["dice_wt"]] == ["flair", "t1", "mean over subsets"]
    assert [r["value"] for r in table["dice_wt"]] == pytest.approx([0.4, 0.7, 0.55])
    assert case_scores([one, two])["dice_et"] == pytest.approx({"a": 0.3, "b": 0.8})
    assert summary_tables(one)["dice_tc"][0]["value"] == pytest.approx(0.2)
