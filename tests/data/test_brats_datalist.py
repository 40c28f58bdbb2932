from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from metakd_ext.data import (
    evaluation_split,
    find_brats_cases,
    find_inference_inputs,
    load_datalist,
    split_cases,
    write_brats_datalist,
)

REAL_CASES = 8


def test_real_cases(brats18_dir: Path, tmp_path: Path) -> None:
    cases = find_brats_cases(brats18_dir)
    assert len(cases) == REAL_CASES
    assert all(set(c) == {"case", "flair", "t1", "t1ce", "t2", "label"} for c in cases)
    assert cases[0]["flair"] == os.path.join(cases[0]["case"], f"{cases[0]['case']}_flair.nii.gz")
    out = tmp_path / "datalist.json"
    datalist = write_brats_datalist(brats18_dir, out, val_fraction=0.25, test_fraction=0.25, num_meta=1, seed=0)
    assert json.loads(out.read_text()) == datalist
    sizes = {k: len(datalist[k]) for k in ("training", "validation", "meta_validation", "testing")}
    assert sizes == {"training": 3, "validation": 2, "meta_validation": 1, "testing": 2}
    assert all("label" in c for c in datalist["testing"])  # held out with their labels, to be scored
    assert evaluation_split(out) == "testing"


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
    a = split_cases(names, val_fraction=0.2, test_fraction=0.25, num_meta=5, seed=1)
    assert a == split_cases(names, val_fraction=0.2, test_fraction=0.25, num_meta=5, seed=1)
    assert a != split_cases(names, val_fraction=0.2, test_fraction=0.25, num_meta=5, seed=2)
    sizes = {k: len(v) for k, v in a.items()}
    assert sizes == {"training": 6, "validation": 4, "meta_validation": 5, "testing": 5}
    assert sorted(sum(a.values(), [])) == sorted(names)  # disjoint and complete
    with pytest.raises(ValueError, match=r"`val_fraction` \+ `test_fraction` must be < 1"):
        split_cases(names, val_fraction=0.5, test_fraction=0.5)


def test_evaluation_split_prefers_labelled_testing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    labelled = {"case": "A", "flair": "A/A_flair.nii.gz", "label": "A/A_seg.nii.gz"}
    unlabelled = {"case": "U", "flair": "U/U_flair.nii.gz"}
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"validation": [labelled], "testing": [unlabelled, {**labelled, "case": "B"}]}))
    assert evaluation_split(path) == "testing"
    assert [e["case"] for e in load_datalist(path, "testing", labelled=True)] == ["B"]
    path.write_text(json.dumps({"validation": [labelled], "testing": [unlabelled]}))  # only cases to predict
    with caplog.at_level("WARNING", logger="metakd"):
        assert evaluation_split(path) == "validation"
    assert "chose the checkpoint" in caplog.text and "biased upwards" in caplog.text
    path.write_text(json.dumps({"validation": [], "testing": [unlabelled]}))
    with pytest.raises(ValueError, match="no labelled cases in 'testing' or 'validation'"):
        evaluation_split(path)


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


def test_inference_folder_predicts_good_cases_and_lists_the_others(tmp_path: Path, caplog) -> None:
    _touch_case(tmp_path, "Brats18_Good", ["flair", "t1"])
    _touch_case(tmp_path, "Brats18_Bad", ["seg"])
    entries = find_inference_inputs(tmp_path)
    assert [e["case"] for e in entries] == ["Brats18_Bad", "Brats18_Good"] and Path(entries[1]["flair"]).is_absolute()
    assert set(entries[0]) == {"case", "unusable"} and "has a label but no modality file" in entries[0]["unusable"]
    assert "skipped: case Brats18_Bad" in caplog.text
    shutil.rmtree(tmp_path / "Brats18_Good")
    with pytest.raises(ValueError, match=r"nothing to predict .* cannot be used: case Brats18_Bad .* no modality"):
        find_inference_inputs(tmp_path)


def test_inference_folder_of_both_kinds_and_its_own_outputs(tmp_path: Path) -> None:
    _touch_case(tmp_path, "Brats18_Folder", ["flair"])
    for name in ("Brats18_File.nii.gz", "Brats18_Upper.NII.GZ", "Brats18_Folder_seg.nii.gz", ".tmp.nii.gz"):
        (tmp_path / name).write_bytes(b"")
    names = [e["case"] for e in find_inference_inputs(tmp_path)]
    assert names == ["Brats18_File", "Brats18_Folder", "Brats18_Folder_seg", "Brats18_Upper"]
    names = [e["case"] for e in find_inference_inputs(tmp_path, output_dir=tmp_path)]
    assert names == ["Brats18_File", "Brats18_Folder", "Brats18_Upper"]  # the predictions written there left out
    (tmp_path / "Brats18_Folder.nii.gz").write_bytes(b"")
    with pytest.raises(ValueError, match="case Brats18_Folder is in .* twice, as a case folder and as the NIfTI"):
        find_inference_inputs(tmp_path)


def test_upper_case_extensions_in_a_case_folder(tmp_path: Path) -> None:
    case = tmp_path / "Brats18_X"
    case.mkdir()
    (case / "Brats18_X_flair.NII.GZ").write_bytes(b"")
    assert find_inference_inputs(tmp_path)[0]["flair"] == str((case / "Brats18_X_flair.NII.GZ").resolve())
