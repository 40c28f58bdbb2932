from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from ignite.engine import Engine

from metakd_ext.handlers import ClassPredictionWriter


def _engine(batches: list[dict], logits: list[torch.Tensor]) -> Engine:
    outputs = iter(logits)
    return Engine(lambda engine, batch: {"pred": next(outputs)})


def test_rows_and_atomic_replacement(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    out.write_text("old\n")
    batches = [
        {"subject": ["A", "B"], "modality_mask": torch.tensor([[1, 0], [1, 1]]).bool()},
        {"subject": ["C"], "modality_mask": torch.tensor([[0, 1]]).bool()},
    ]
    engine = _engine(batches, [torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([[0.0, 0.0]])])
    ClassPredictionWriter(out, ["CN", "AD"], ["mri", "csf"]).attach(engine)
    engine.run(batches)
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["subject"], r["available"], r["predicted"]) for r in rows] == [
        ("A", "mri", "CN"),
        ("B", "mri+csf", "AD"),
        ("C", "csf", "CN"),
    ]
    assert float(rows[0]["prob_CN"]) == pytest.approx(torch.tensor([2.0, 0.0]).softmax(0)[0].item(), abs=1e-6)


def test_wrong_width_fails_without_touching_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    out.write_text("old\n")
    batches = [{"subject": ["A"]}]
    engine = _engine(batches, [torch.zeros(1, 3)])
    ClassPredictionWriter(out, ["CN", "AD"], ["mri"]).attach(engine)
    with pytest.raises(ValueError, match=r"expected \(B, 2\) logits"):
        engine.run(batches)
    assert out.read_text() == "old\n"
