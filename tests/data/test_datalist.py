from __future__ import annotations

import json
from pathlib import Path

import pytest

from metakd_ext.data import cross_validation_datalists, load_datalist


def _datalist(tmp_path: Path) -> Path:
    cases = [{"case": f"c{i}", "flair": f"c{i}/f.nii.gz", "label": f"c{i}/s.nii.gz"} for i in range(8)]
    content = {
        "modalities": ["flair"],
        "training": cases[:4],
        "validation": cases[4:5],
        "meta_validation": cases[5:6],
        "testing": [*cases[6:], {"case": "unlabelled", "flair": "u/f.nii.gz"}],
    }
    path = tmp_path / "datalist.json"
    path.write_text(json.dumps(content))
    return path


def test_every_labelled_case_is_held_out_once(tmp_path: Path) -> None:
    folds = cross_validation_datalists(_datalist(tmp_path), 4, seed=1)
    tested = [c["case"] for fold in folds for c in fold["testing"]]
    assert sorted(tested) == [f"c{i}" for i in range(8)]
    for fold in folds:
        assert fold["modalities"] == ["flair"]
        assert [len(fold[s]) for s in ("training", "validation", "meta_validation", "testing")] == [4, 1, 1, 2]
        names = [c["case"] for s in ("training", "validation", "meta_validation", "testing") for c in fold[s]]
        assert len(set(names)) == 8 and fold["training"][0]["flair"].endswith("/f.nii.gz")
    assert folds == cross_validation_datalists(_datalist(tmp_path), 4, seed=1)
    assert folds != cross_validation_datalists(_datalist(tmp_path), 4, seed=2)


def test_fold_count_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="`folds` must be from 2 to the 8 labelled cases"):
        cross_validation_datalists(_datalist(tmp_path), 9)


def test_malformed_datalist_names_the_file(tmp_path) -> None:
    bad = tmp_path / "datalist.json"
    bad.write_text('{"training": [{"case": "A",}]}')
    with pytest.raises(ValueError, match=r"datalist .*datalist.json is not valid JSON \(.*line 1 column"):
        load_datalist(bad, "training")
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="holds a JSON list, not an object"):
        load_datalist(bad, "training")
