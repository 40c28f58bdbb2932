from __future__ import annotations

import csv
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from metakd_ext.data import ADNI_IMAGE_COLUMNS, ADNI_TABULAR_COLUMNS, load_datalist, make_adni_demo


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_files_datalist_and_missing_modalities(adni_demo_dir: Path) -> None:
    rows = _rows(adni_demo_dir / "subjects.csv")
    assert len(rows) == 40 and {r["diagnosis"] for r in rows} == {"CN", "MCI", "AD"}
    pet_missing = np.mean([not r["pet"] for r in rows])
    csf_missing = np.mean([not r["abeta42"] for r in rows])
    assert 0.25 < pet_missing < 0.75 and 0.15 < csf_missing < 0.65
    for r in rows:
        has = [bool(r[c]) for c in ADNI_IMAGE_COLUMNS.values()]
        has += [any(r[c] for c in cols) for cols in ADNI_TABULAR_COLUMNS.values()]
        assert any(has), r["subject"]
    first = next(r for r in rows if r["mri"])
    img = nib.load(adni_demo_dir / first["mri"])
    assert img.get_data_dtype() == np.int16 and np.allclose(np.abs(np.diag(img.affine))[:3], 6.0)
    entries = load_datalist(adni_demo_dir / "datalist.json", "training", path_keys=["mri", "pet"])
    assert all(Path(e["mri"]).is_file() for e in entries if "mri" in e)


def test_seeded(tmp_path: Path) -> None:
    make_adni_demo(tmp_path / "a", num_subjects=4, seed=1, spacing=8.0, num_meta=0)
    make_adni_demo(tmp_path / "b", num_subjects=4, seed=1, spacing=8.0, num_meta=0)
    assert (tmp_path / "a" / "subjects.csv").read_text() == (tmp_path / "b" / "subjects.csv").read_text()
    with pytest.raises(ValueError, match="num_subjects"):
        make_adni_demo(tmp_path / "c", num_subjects=2)


def _features(adni_demo_dir: Path, rows: list[dict], modality: str) -> tuple[np.ndarray, np.ndarray]:
    labels, values = [], []
    for r in rows:
        if modality in ADNI_IMAGE_COLUMNS:
            if not r[modality]:
                continue
            volume = nib.load(adni_demo_dir / r[modality]).get_fdata()
            values.append((volume / volume[volume > 0].mean()).ravel())
        else:
            cols = ADNI_TABULAR_COLUMNS[modality]
            if not all(r[c] for c in cols):
                continue
            values.append([float(r[c]) for c in cols])
        labels.append(["CN", "MCI", "AD"].index(r["diagnosis"]))
    return np.asarray(values, dtype=np.float64), np.asarray(labels)


@pytest.mark.parametrize("modality", ["mri", "pet", "clinical", "csf", "genetic"])
def test_no_single_modality_separates_the_classes(adni_demo_dir: Path, modality: str) -> None:
    """Even fitted and scored on the same subjects, a nearest-centroid classifier of one modality errs."""
    x, y = _features(adni_demo_dir, _rows(adni_demo_dir / "subjects.csv"), modality)
    x = (x - x.mean(0)) / (x.std(0) + 1e-8)
    centroids = np.stack([x[y == k].mean(0) for k in range(3)])
    predicted = np.argmin(((x[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
    accuracy = float((predicted == y).mean())
    assert accuracy < 1.0
    if modality in ("clinical", "csf"):
        assert accuracy > 0.5  # informative, not noise
