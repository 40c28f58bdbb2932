from __future__ import annotations

import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from metakd_ext.cli import main
from metakd_ext.data import stack_brats_case


def test_stack_case_with_missing_modality(brats18_dir: Path, tmp_path: Path, capsys) -> None:
    case = "Brats18_2013_3_1"
    shutil.copytree(brats18_dir / case, tmp_path / case)
    (tmp_path / case / f"{case}_t1ce.nii.gz").unlink()
    main(["stack", "--case_dir", str(tmp_path / case), "--output", str(tmp_path / "studies" / f"{case}.nii.gz")])
    assert "zero channels: t1ce" in capsys.readouterr().out
    out = nib.load(tmp_path / "studies" / f"{case}.nii.gz")
    flair = nib.load(tmp_path / case / f"{case}_flair.nii.gz")
    assert out.shape == (*flair.shape, 4)
    assert np.allclose(out.affine, flair.affine) and out.get_data_dtype() == flair.get_data_dtype()
    data = np.asarray(out.dataobj)
    assert not data[..., 2].any()
    assert np.array_equal(data[..., 0], np.asarray(flair.dataobj))


def test_not_a_case_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    with pytest.raises(ValueError, match="is not a BraTS case folder"):
        stack_brats_case(tmp_path / "x", tmp_path / "o.nii.gz")
