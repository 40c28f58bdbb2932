from __future__ import annotations

import csv

from metakd_ext.cli import main
from metakd_ext.metrics import SCORE_COLUMNS
from metakd_ext.visualize import render_report, write_segmentation_report


def test_render_and_report_command(tmp_path, capsys) -> None:
    rows = [
        {"case": c, "subset": s, "available": "a+b", "label_et_voxels": et, **dict.fromkeys(SCORE_COLUMNS, v)}
        for c, et in (("c1", 0), ("c2", 40))
        for s, v in (("a", 0.5), ("b", 0.7), ("a+b", 0.9))
    ]
    markdown = write_segmentation_report(tmp_path, rows, ["a", "b", "a+b"], {"a": 0.4, "b": 0.6}, et_min_voxels=500)
    assert "| a+b | 2 | 90.00 ± 0.00" in markdown
    assert "a 0.4000, b 0.6000" in markdown and "1 of 2 cases have no ET in the ground truth (c1)" in markdown
    with (tmp_path / "summary.csv").open() as f:
        table = list(csv.DictReader(f))
    assert [t["subset"] for t in table] == ["a", "b", "a+b", "mean over subsets"]
    assert (tmp_path / "summary.png").stat().st_size > 1000
    (tmp_path / "summary.md").unlink()
    main(["report", "--eval_dir", str(tmp_path), "--et_min_voxels", "500"])
    assert capsys.readouterr().out == markdown  # the command renders the same summary from the written rows
    assert (tmp_path / "summary.md").read_text() == markdown


def test_summary_says_whether_the_cases_were_held_out(tmp_path) -> None:
    def rows(split: str) -> list[dict]:
        scores = dict.fromkeys(SCORE_COLUMNS, 0.5)
        return [{"case": "c1", "split": split, "subset": "a", "available": "a", "label_et_voxels": 9, **scores}]

    assert "held-out `testing` split: these cases chose nothing" in render_report(tmp_path, rows("testing"))
    markdown = render_report(tmp_path, rows("validation"))
    assert "`validation` chose the checkpoint" in markdown and "biased upwards" in markdown
    assert "held-out" not in markdown
