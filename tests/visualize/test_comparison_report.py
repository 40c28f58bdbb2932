from __future__ import annotations

import csv
from pathlib import Path

from metakd_ext.visualize import render_comparison


def _table(a: float, b: float) -> dict[str, list[dict]]:
    return {"accuracy": [{"subset": "mri", "value": a}, {"subset": "mean over subsets", "value": b}]}


def test_methods_side_by_side_with_the_best_in_bold(tmp_path: Path) -> None:
    tables = {"metakd": [_table(0.8, 0.7), _table(0.6, 0.5)], "nokd": [_table(0.5, 0.65), _table(0.5, 0.65)]}
    start = (2, {"mri": 0.5, "pet": 0.5})
    weights = {
        "metakd": [("seed 0", {"mri": 0.6, "pet": 0.4}, start), ("seed 1", None, None)],
        "nokd": [("seed 0", None, None)],
    }
    test = {"metric": "accuracy", "reference": "metakd", "method": "nokd", "cases": 8, "seeds": 2}
    test.update({"mean_difference": 0.05, "per_seed": [0.1, 0.0], "better": 5, "worse": 2, "p_value": 0.25})
    markdown = render_comparison(tmp_path, tables, {"accuracy": "accuracy"}, weights, note="demo", tests=[test])
    assert "| mri | **70.00 ± 14.14** | 50.00 ± 0.00 |" in markdown
    assert "| **mean over subsets** | 60.00 ± 14.14 | **65.00 ± 0.00** |" in markdown
    assert "- metakd, seed 0: mri 0.6000, pet 0.4000 (iteration 2: mri 0.5000, pet 0.5000)" in markdown
    assert "demo" in markdown
    with (tmp_path / "comparison.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and {r["seeds"] for r in rows} == {"2"}
    assert (tmp_path / "comparison.png").stat().st_size > 1000
    assert "## Paired test: metakd against each method" in markdown
    assert "| accuracy | nokd | 8 | +5.00 | +10.00, +0.00 | 5 / 2 | 0.250 |" in markdown
    assert "**One seed**" not in markdown
    single = render_comparison(tmp_path, tables, {"accuracy": "accuracy"}, tests=[{**test, "seeds": 1}])
    assert "**One seed**: this compares two trained models, not two methods" in single
    with (tmp_path / "comparison_tests.csv").open() as f:
        assert [r["method"] for r in csv.DictReader(f)] == ["nokd"]


def test_losses_during_training_per_method(tmp_path: Path) -> None:
    tables = {"metakd": [_table(0.8, 0.7)], "nokd": [_table(0.5, 0.65)], "uniform": [_table(0.5, 0.6)]}
    logged = {"task_loss_first": 2.0, "task_loss_last": 0.5, "kd_loss_first": 10.0, "kd_loss_last": 0.02}
    losses = {
        "metakd": [("seed 0", logged), ("seed 1", {**logged, "kd_loss_last": 0.04}), ("seed 2", None)],
        "nokd": [("seed 0", {**logged, "kd_loss_last": 9.0})],
        "uniform": [("seed 0", None)],
    }
    markdown = render_comparison(tmp_path, tables, {"accuracy": "accuracy"}, losses=losses)
    assert "## Losses during training" in markdown
    assert "| metakd | 2 of 3 | 2 | 0.5 | 10 | 0.03 |" in markdown
    assert "| nokd | 1 of 1 | 2 | 0.5 | 10 | 9 |" in markdown
    assert "| uniform | 0 of 1 | not logged | not logged | not logged | not logged |" in markdown
    with (tmp_path / "comparison_losses.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["method"], r["run"]) for r in rows][:3] == [
        ("metakd", "seed 0"),
        ("metakd", "seed 1"),
        ("metakd", "seed 2"),
    ]
    assert rows[1]["kd_loss_last"] == "0.04" and rows[2]["kd_loss_last"] == ""
