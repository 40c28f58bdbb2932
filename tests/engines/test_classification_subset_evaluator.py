from __future__ import annotations

from pathlib import Path

import pytest
import torch

from metakd_ext.engines import ClassificationSubsetEvaluator
from metakd_ext.handlers import SubsetReportWriter
from metakd_ext.networks import ImageEncoder, ModalityWeightLearner, MultiEncoderClassifier, TabularEncoder

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
            SubsetReportWriter(tmp_path, ModalityWeightLearner(2), MODALITIES, kind="classification"),
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
    assert "| mri+csf | 1 |" in markdown and "mean over subsets" in markdown and "Learned modality weights" in markdown


def test_unknown_subset_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown modality subset 'pet'"):
        ClassificationSubsetEvaluator("cpu", _loader(), _net(), MODALITIES, CLASSES, subsets=["pet"])
