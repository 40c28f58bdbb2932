from __future__ import annotations

from pathlib import Path

import pytest

from metakd_ext.comparison import case_scores, summary_tables, tabulate_runs
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


def _method(folder: Path, seeds: dict[int, dict[str, float]]) -> Path:
    """A method's folder of a 2-fold comparison: per seed, case ``a`` scored in fold 0 and ``b`` in fold 1."""
    for seed, dice in seeds.items():
        _evaluation(folder / "fold0" / f"seed{seed}" / "eval", "a", {"flair": dice["a"]})
        _evaluation(folder / "fold1" / f"seed{seed}" / "eval", "b", {"flair": dice["b"]})
    return folder


def test_runs_of_two_comparisons_pair_up_by_case_and_seed(tmp_path: Path) -> None:
    """``tabulate_runs`` pairs finished runs from different comparison folders as ``compare_methods`` pairs its own:
    the common seeds, one score per case, the first method the reference."""
    one = _method(
        tmp_path / "unet" / "nokd", {0: {"a": 0.5, "b": 0.7}, 1: {"a": 0.3, "b": 0.5}, 2: {"a": 0.1, "b": 0.1}}
    )
    two = _method(tmp_path / "authors" / "mkd", {0: {"a": 0.4, "b": 0.4}, 1: {"a": 0.2, "b": 0.4}})
    markdown = Path(tabulate_runs({"U-Net no KD": one, "authors MetaKD": two}, str(tmp_path / "out")))
    tests = (tmp_path / "out" / "comparison_tests.csv").read_text().splitlines()
    assert markdown.is_file() and "U-Net no KD" in markdown.read_text()
    assert len(tests) == 1 + 3  # one row per Dice region
    header, wt = tests[0].split(","), tests[-1].split(",")
    row = dict(zip(header, wt))
    assert row["method"] == "authors MetaKD" and int(row["seeds"]) == 2 and int(row["cases"]) == 2
    assert float(row["mean_difference"]) == pytest.approx(0.15)  # case a: 0.1 and 0.1, case b: 0.3 and 0.1
    with pytest.raises(FileNotFoundError, match="seed 2 of 'authors MetaKD'"):
        tabulate_runs({"U-Net no KD": one, "authors MetaKD": two}, str(tmp_path / "out"), seeds=[0, 2])
    other = tmp_path / "other"
    _evaluation(other / "fold0" / "seed0" / "eval", "c", {"flair": 0.5})
    _evaluation(other / "fold1" / "seed0" / "eval", "b", {"flair": 0.5})
    with pytest.raises(ValueError, match="scored other cases with seed 0"):
        tabulate_runs({"U-Net no KD": one, "other": other}, str(tmp_path / "out"))
    with pytest.raises(FileNotFoundError, match="holds no seed"):
        tabulate_runs({"U-Net no KD": one, "empty": tmp_path / "nothing"}, str(tmp_path / "out"))
