from __future__ import annotations

import pytest
import torch
from monai.data import DataLoader, Dataset
from monai.transforms import Compose

from metakd_ext.transforms import FillMissingModalitiesd, NormalizeTabular, NormalizeTabulard

STATS = {"csf": {"mean": [1000.0, 300.0], "std": [200.0, 0.0]}, "genetic": {"mean": [0.5], "std": [0.5]}}


def test_normalize_tabular_z_scores_and_imputes() -> None:
    out = NormalizeTabular([1000.0, 300.0], [200.0, 100.0])([800.0, None])
    assert out.dtype == torch.float32
    assert torch.allclose(out, torch.tensor([-1.0, 0.0]))
    assert torch.allclose(NormalizeTabular([0.0], [1.0])([float("nan")]), torch.zeros(1))
    assert torch.allclose(NormalizeTabular([1.0], [0.0])([3.0]), torch.tensor([2.0]))  # constant column: std 1
    with pytest.raises(ValueError, match="expected 2 values"):
        NormalizeTabular([0.0, 0.0], [1.0, 1.0])([1.0])


def test_normalize_tabulard_drops_empty_modalities() -> None:
    t = NormalizeTabulard(["csf", "genetic"], STATS)
    d = t({"csf": [1200.0, None], "genetic": [None]})
    assert torch.allclose(d["csf"], torch.tensor([1.0, 0.0]))
    assert "genetic" not in d
    with pytest.raises(ValueError, match="no normalisation statistics"):
        NormalizeTabulard(["csf", "clinical"], STATS)


def test_fill_missing_modalities_mask_and_collate() -> None:
    shapes = {"mri": (1, 4, 4, 4), "csf": (2,), "genetic": (1,)}
    fill = FillMissingModalitiesd(["mri", "csf", "genetic"], shapes)
    items = [
        {"subject": "a", "mri": torch.rand(1, 4, 4, 4), "csf": [1200.0, 310.0]},
        {"subject": "b", "genetic": [1.0]},
    ]
    pipeline = Compose([NormalizeTabulard(["csf", "genetic"], STATS), fill])
    batch = next(iter(DataLoader(Dataset(items, pipeline), batch_size=2)))
    assert batch["mri"].shape == (2, 1, 4, 4, 4) and batch["csf"].shape == (2, 2)
    assert batch["modality_mask"].tolist() == [[True, True, False], [False, False, True]]
    assert torch.all(batch["mri"][1] == 0) and torch.all(batch["csf"][1] == 0)


def test_fill_missing_modalities_errors_name_the_subject() -> None:
    fill = FillMissingModalitiesd(["mri", "csf"], {"mri": (1, 4, 4, 4), "csf": (2,)})
    with pytest.raises(ValueError, match="case S7: has none of the modalities"):
        fill({"subject": "S7"})
    with pytest.raises(ValueError, match=r"case S8: mri has shape \(1, 5, 4, 4\).*image_size"):
        fill({"subject": "S8", "mri": torch.rand(1, 5, 4, 4)})
    with pytest.raises(ValueError, match="`shapes` lacks"):
        FillMissingModalitiesd(["mri", "pet"], {"mri": (1, 4, 4, 4)})
