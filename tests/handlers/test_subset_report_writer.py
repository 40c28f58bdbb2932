from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from metakd_ext.handlers import SubsetReportWriter
from metakd_ext.networks import ModalityTeachers, ModalityWeightLearner


def _report(calls: list[dict]):
    def report(output_dir, rows, **kwargs) -> str:
        calls.append({"rows": rows, **kwargs})
        return "done"

    return report


@pytest.mark.parametrize(
    "learner, title, weights",
    [
        (ModalityWeightLearner(2, init="zeros"), "Modality weights", {"a": 0.5, "b": 0.5}),
        (ModalityTeachers(2, initial=1), "Elected teachers (1 a teacher)", {"a": 0.0, "b": 1.0}),
        (None, "Modality weights", None),
    ],
)
def test_the_report_names_weights_or_teachers(learner, title, weights, tmp_path: Path) -> None:
    calls: list[dict] = []
    writer = SubsetReportWriter(tmp_path, _report(calls), learner, ["a", "b"], eval_split="testing")
    writer(SimpleNamespace(state=SimpleNamespace(rows=[{"case": "x"}]), subsets=["a"]))  # type: ignore[arg-type]
    (call,) = calls
    assert call["weights_title"] == title and call["weights"] == pytest.approx(weights)
    assert call["rows"] == [{"case": "x", "split": "testing"}] and call["subsets"] == ["a"]
