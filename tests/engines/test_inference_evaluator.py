from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from monai.data import DataLoader

from metakd_ext.data import SkipUnusableDataset, collate_usable
from metakd_ext.engines import ClassificationInferenceEvaluator, SkippedCasesError
from metakd_ext.networks import MultiEncoderClassifier, TabularEncoder

MODALITIES = ["clinical", "csf"]


def _load(entry: dict) -> dict:
    if entry["subject"].startswith("bad"):
        raise ValueError(f"subject {entry['subject']}: row {entry['row']} has a value that is not a number")
    g = torch.Generator().manual_seed(int(entry["row"]))
    return {
        "subject": entry["subject"],
        "clinical": torch.randn(2, generator=g),
        "csf": torch.randn(2, generator=g),
        "modality_mask": torch.tensor([True, True]),
    }


def _evaluator(data: list[dict], batch_size: int, skipped_csv: Path) -> ClassificationInferenceEvaluator:
    torch.manual_seed(0)
    encoders = {m: TabularEncoder(2, (4,)) for m in MODALITIES}
    net = MultiEncoderClassifier(MODALITIES, encoders, num_classes=2, feature_size=4, hidden_size=4).eval()
    dataset = SkipUnusableDataset(data, _load, case_key="subject")
    loader = DataLoader(dataset, batch_size=batch_size, collate_fn=collate_usable)
    return ClassificationInferenceEvaluator(
        "cpu", loader, net, MODALITIES, ["no", "yes"], subsets="available", skipped_csv=skipped_csv
    )


@pytest.mark.parametrize("batch_size", [1, 2])
def test_every_usable_subject_predicted_the_others_listed_then_an_error(tmp_path: Path, batch_size: int) -> None:
    names = ["a", "bad1", "bad2", "b", "c"]  # with 2 a batch, one holds only skipped subjects
    data = [{"subject": n, "row": str(i)} for i, n in enumerate(names)]
    skipped_csv = tmp_path / "skipped.csv"
    evaluator = _evaluator(data, batch_size, skipped_csv)
    with pytest.raises(
        SkippedCasesError, match=rf"2 case\(s\) could not be predicted \(bad1, bad2\), listed .* {skipped_csv}"
    ):
        evaluator.run()
    assert [r["subject"] for r in evaluator.state.rows] == ["a", "b", "c"]
    with skipped_csv.open() as f:
        rows = list(csv.DictReader(f))
    assert [r["case"] for r in rows] == ["bad1", "bad2"]
    assert rows[0]["reason"] == "ValueError: subject bad1: row 1 has a value that is not a number"
    assert rows[0]["files"] == "1"  # the entry's other values; a bundle names its path keys

    _evaluator(data[:1], batch_size, skipped_csv).run()  # nothing skipped: no error, an earlier list emptied
    assert skipped_csv.read_text() == "case,reason,files\n"
