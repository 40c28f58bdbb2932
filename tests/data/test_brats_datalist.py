from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from metakd_ext.data import find_brats_cases, split_cases, write_brats_datalist

REAL_CASES = 8


def test_real_cases(brats18_dir: Path, tmp_path: Path) -> None:
    cases = find_brats_cases(brats18_dir)
    assert len(cases) == REAL_CASES
    assert all(set(c) == {"case", "flair", "t1", "t1ce", "t2", "label"} for c in cases)
    assert cases[0]["flair"] == os.path.join(cases[0]["case"], f"{cases[0]['case']}_flair.nii.gz")
    out = tmp_path / "datalist.json"
    datalist = write_brats_datalist(brats18_dir, out, val_fraction=0.25, num_meta=1, seed=0)
    assert json.loads(out.read_text()) == datalist
    sizes = {k: len(datalist[k]) for k in ("training", "validation", "meta_validation", "testing")}
    assert sizes == {"training": 5, "validation": 2, "meta_validation": 1, "testing": 0}


def _copy_cases(src: Path, dst: Path, names: list[str]) -> None:
    for name in names:
        shutil.copytree(src / name, dst / name)


def test_missing_modality_file_and_hgg_lgg(brats18_dir: Path, tmp_path: Path) -> None:
    names = sorted(p.name for p in brats18_dir.iterdir() if p.is_dir())[:3]
    _copy_cases(brats18_dir, tmp_path / "HGG", names[:2])
    _copy_cases(brats18_dir, tmp_path / "LGG", names[2:])
    (tmp_path / "HGG" / names[0] / f"{names[0]}_t1ce.nii.gz").unlink()
    cases = {c["case"]: c for c in find_brats_cases(tmp_path)}
    assert set(cases) == set(names)
    assert "t1ce" not in cases[names[0]] and "t1" in cases[names[0]]
    assert cases[names[2]]["t2"].startswith("LGG")


def _touch_case(root: Path, name: str, suffixes: list[str], sep: str = "_") -> None:
    (root / name).mkdir(parents=True)
    for s in suffixes:
        (root / name / f"{name}{sep}{s}.nii.gz").write_bytes(b"")


def test_2023_layout_and_unlabelled(tmp_path: Path) -> None:
    _touch_case(tmp_path, "BraTS-GLI-00000-000", ["t2f", "t1n", "t1c", "t2w", "seg"], sep="-")
    _touch_case(tmp_path, "BraTS-GLI-00001-000", ["t2f", "t1c"], sep="-")
    cases = find_brats_cases(tmp_path)
    assert cases[0]["t1ce"].endswith("-t1c.nii.gz") and cases[0]["flair"].endswith("-t2f.nii.gz")
    assert set(cases[1]) == {"case", "flair", "t1ce"}
    datalist = write_brats_datalist(tmp_path, tmp_path / "d.json", num_meta=0)
    assert [c["case"] for c in datalist["testing"]] == ["BraTS-GLI-00001-000"]


def test_split_is_seeded_and_disjoint() -> None:
    names = [f"c{i}" for i in range(20)]
    a, b = split_cases(names, 0.2, 5, seed=1), split_cases(names, 0.2, 5, seed=1)
    assert a == b and a != split_cases(names, 0.2, 5, seed=2)
    assert (len(a["training"]), len(a["validation"]), len(a["meta_validation"])) == (11, 4, 5)
    assert sorted(a["training"] + a["validation"] + a["meta_validation"]) == sorted(names)


def test_external_split_files(tmp_path: Path) -> None:
    for i in range(4):
        _touch_case(tmp_path / "data", f"C{i}", ["flair", "t1", "seg"])
    (tmp_path / "val.txt").write_text("C1\n# comment\n\nC2\n")
    (tmp_path / "meta.txt").write_text("C3\n")
    d = write_brats_datalist(
        tmp_path / "data", tmp_path / "d.json", val_split=tmp_path / "val.txt", meta_split=tmp_path / "meta.txt"
    )
    assert [c["case"] for c in d["training"]] == ["C0"]
    assert [c["case"] for c in d["validation"]] == ["C1", "C2"]
    (tmp_path / "bad.txt").write_text("C9\n")
    with pytest.raises(ValueError, match=r"bad.txt names case 'C9', which is not in"):
        write_brats_datalist(tmp_path / "data", tmp_path / "d.json", val_split=tmp_path / "bad.txt")


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    with pytest.raises(ValueError, match=r"no BraTS cases found in .*expected case folders"):
        find_brats_cases(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_brats_cases(tmp_path / "nope")


def test_label_without_modality(tmp_path: Path) -> None:
    _touch_case(tmp_path, "Brats18_X", ["seg"])
    with pytest.raises(ValueError, match="case Brats18_X .* has a label but no modality file"):
        find_brats_cases(tmp_path)
