from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest
import torch

from metakd_ext.engines import ClassificationSubsetEvaluator
from metakd_ext.handlers import SubsetReportWriter
from metakd_ext.networks import ImageEncoder, ModalityWeightLearner, MultiEncoderClassifier, TabularEncoder
from metakd_ext.visualize import write_class_predictions, write_classification_report

MODALITIES = ["mri", "csf"]
CLASSES = ["CN", "MCI", "AD"]


def _net() -> MultiEncoderClassifier:
    torch.manual_seed(0)
    encoders = {"mri": ImageEncoder(3, 1, (4,)), "csf": TabularEncoder(2, (4,))}
    return MultiEncoderClassifier(MODALITIES, encoders, num_classes=3, feature_size=4, hidden_size=4).eval()


def _loader() -> list[dict]:
    mask = torch.tensor([[True, True], [True, False], [False, True]])
    g = torch.Generator().manual_seed(0)
    return [
        {
            "mri": torch.rand(3, 1, 8, 8, 8, generator=g) * mask[:, :1, None, None, None],
            "csf": torch.randn(3, 2, generator=g) * mask[:, 1:],
            "label": torch.tensor([0, 2, 1]),
            "modality_mask": mask,
            "subject": ["A", "B", "C"],
        }
    ]


def test_rows_per_subject_and_subset_match_plain_forward(tmp_path: Path) -> None:
    net = _net()
    evaluator = ClassificationSubsetEvaluator(
        "cpu",
        _loader(),
        net,
        MODALITIES,
        CLASSES,
        val_handlers=[
            SubsetReportWriter(
                tmp_path,
                functools.partial(write_classification_report, class_names=CLASSES),
                ModalityWeightLearner(2),
                MODALITIES,
            ),
        ],
    )
    evaluator.run()
    rows = evaluator.state.rows
    assert [(r["subject"], r["subset"]) for r in rows] == [
        ("A", "mri"),
        ("B", "mri"),
        ("A", "csf"),
        ("C", "csf"),
        ("A", "mri+csf"),
    ]
    batch = _loader()[0]
    for r in rows:
        i = "ABC".index(r["subject"])
        m = torch.tensor([n in r["subset"].split("+") for n in MODALITIES])
        inputs = {k: batch[k][i : i + 1] for k in MODALITIES}
        probs = net(inputs, m[None]).softmax(dim=1)[0]
        assert [r[f"prob_{c}"] for c in CLASSES] == pytest.approx(probs.tolist(), abs=1e-5)
        assert r["label"] == CLASSES[int(batch["label"][i])]
    for name in ("per_subject.csv", "summary.csv", "summary.md", "summary.png", "modality_weights.json"):
        assert (tmp_path / name).is_file()
    markdown = (tmp_path / "summary.md").read_text()
    assert "| mri+csf | 1 |" in markdown and "mean over subsets" in markdown and "Modality weights" in markdown


def test_unknown_subset_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown modality subset 'pet'"):
        ClassificationSubsetEvaluator("cpu", _loader(), _net(), MODALITIES, CLASSES, subsets=["pet"])


def test_available_predicts_each_subject_on_its_own_modalities(tmp_path: Path) -> None:
    net = _net()
    out = tmp_path / "predictions.csv"
    out.write_text("old\n")
    report = functools.partial(write_class_predictions, class_names=CLASSES)
    evaluator = ClassificationSubsetEvaluator(
        "cpu",
        _loader(),
        net,
        MODALITIES,
        CLASSES,
        subsets="available",
        val_handlers=[SubsetReportWriter(tmp_path, report)],
    )
    evaluator.run()
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["subject", "available", "prob_CN", "prob_MCI", "prob_AD", "predicted"]
    assert [(r["subject"], r["available"]) for r in rows] == [("A", "mri+csf"), ("B", "mri"), ("C", "csf")]
    batch = _loader()[0]
    probs = net({k: batch[k] for k in MODALITIES}, batch["modality_mask"]).softmax(dim=1)
    for r, p in zip(rows, probs):
        assert [float(r[f"prob_{c}"]) for c in CLASSES] == pytest.approx(p.tolist(), abs=1e-5)
        assert r["predicted"] == CLASSES[int(p.argmax())]


def test_class_names_must_match_the_network_and_a_failed_run_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "predictions.csv"
    out.write_text("old\n")
    report = functools.partial(write_class_predictions, class_names=CLASSES[:2])
    evaluator = ClassificationSubsetEvaluator(
        "cpu",
        _loader(),
        _net(),
        MODALITIES,
        CLASSES[:2],
        "available",
        val_handlers=[SubsetReportWriter(tmp_path, report)],
    )
    with pytest.raises(ValueError, match="the network gives 3 class scores but `class_names` has 2"):
        evaluator.run()
    assert out.read_text() == "old\n"
