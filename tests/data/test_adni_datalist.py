from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from metakd_ext.data import read_subject_table, stratified_split, tabular_stats, write_subject_datalist

IMAGES = {"mri": "mri_path"}
TABLES = {"csf": ["abeta42", "ptau"], "genetic": ["apoe4"]}


def _csv(tmp_path: Path, rows: list[str]) -> Path:
    (tmp_path / "img").mkdir(exist_ok=True)
    (tmp_path / "img" / "s1.nii.gz").write_bytes(b"x")
    path = tmp_path / "subjects.csv"
    path.write_text("\n".join(["subject,diagnosis,mri_path,abeta42,ptau,apoe4", *rows]) + "\n")
    return path


def test_missing_cells(tmp_path: Path) -> None:
    path = _csv(tmp_path, ["S1,CN,img/s1.nii.gz,900,,1", "S2,AD,,,,2", "S3,MCI,img/s1.nii.gz,,,"])
    entries = read_subject_table(path, IMAGES, TABLES)
    assert entries[0] == {"subject": "S1", "label": 0, "mri": "img/s1.nii.gz", "csf": [900.0, None], "genetic": [1.0]}
    assert entries[1] == {"subject": "S2", "label": 2, "genetic": [2.0]}  # no image, no CSF
    assert entries[2] == {"subject": "S3", "label": 1, "mri": "img/s1.nii.gz"}
    absolute = read_subject_table(path, IMAGES, TABLES, absolute_paths=True)
    assert absolute[0]["mri"] == str((tmp_path / "img" / "s1.nii.gz").resolve())
    unlabelled = read_subject_table(path, IMAGES, TABLES, labels=None)
    assert "label" not in unlabelled[0]


@pytest.mark.parametrize(
    "row, error, message",
    [
        ("S1,Dementia,img/s1.nii.gz,1,2,0", ValueError, r"row 2 \(subject S1\): unknown diagnosis 'Dementia'"),
        ("S1,CN,img/absent.nii.gz,1,2,0", FileNotFoundError, r"row 2 \(subject S1\): mri_path file .*absent.nii.gz"),
        ("S1,CN,img/s1.nii.gz,low,2,0", ValueError, r"row 2 \(subject S1\): abeta42 = 'low' is not a number"),
        ("S1,CN,,,,", ValueError, r"row 2 \(subject S1\): no modality at all"),
    ],
)
def test_bad_rows_name_the_row(tmp_path: Path, row: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        read_subject_table(_csv(tmp_path, [row]), IMAGES, TABLES)


def test_duplicate_and_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="row 3: subject S1 appears twice"):
        read_subject_table(_csv(tmp_path, ["S1,CN,,1,2,0", "S1,AD,,1,2,0"]), IMAGES, TABLES)
    with pytest.raises(ValueError, match=r"columns \['ttau'\] not found"):
        read_subject_table(_csv(tmp_path, ["S1,CN,,1,2,0"]), IMAGES, {"csf": ["ttau"]})


def test_stratified_split_keeps_class_mix_and_is_seeded() -> None:
    labels = [0] * 40 + [1] * 40 + [2] * 20
    split = stratified_split(labels, val_fraction=0.2, test_fraction=0.1, num_meta=5, seed=3)
    assert split == stratified_split(labels, val_fraction=0.2, test_fraction=0.1, num_meta=5, seed=3)
    assert sorted(i for s in split.values() for i in s) == list(range(100))
    counts = {k: np.bincount([labels[i] for i in v], minlength=3).tolist() for k, v in split.items()}
    assert counts["validation"] == [8, 8, 4] and counts["testing"] == [4, 4, 2]
    assert sum(counts["meta_validation"]) == 5 and min(counts["meta_validation"]) >= 1


def test_statistics_come_from_training_only(tmp_path: Path) -> None:
    rows = [f"S{i},{'CN' if i % 2 else 'AD'},,{100 * i},{i},{i % 3}" for i in range(20)]
    out = write_subject_datalist(_csv(tmp_path, rows), tmp_path / "dl.json", IMAGES, TABLES, num_meta=2, seed=1)
    content = json.loads(out.read_text())
    train = content["training"]
    abeta = [e["csf"][0] for e in train if "csf" in e]
    assert content["tabular_stats"]["csf"]["mean"][0] == pytest.approx(np.mean(abeta))
    assert content["class_names"] == ["CN", "MCI", "AD"]
    sizes = {s: len(content[s]) for s in ("training", "validation", "meta_validation", "testing")}
    assert sizes == {"training": 10, "validation": 4, "meta_validation": 2, "testing": 4}  # testing 0.2 by default
    without_ptau = [{**e, "csf": [e["csf"][0], None]} for e in train]
    with pytest.raises(ValueError, match=r"ptau \(csf\) has no value in the training split"):
        tabular_stats(without_ptau, TABLES)
