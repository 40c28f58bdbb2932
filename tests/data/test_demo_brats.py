from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

from metakd_ext.data import BRATS_MODALITIES, make_brats_demo


def test_layout_labels_and_datalist(demo_dir: Path) -> None:
    datalist = json.loads((demo_dir / "datalist.json").read_text())
    sizes = {k: len(datalist[k]) for k in ("training", "validation", "meta_validation", "testing")}
    assert sizes == {"training": 3, "validation": 2, "meta_validation": 1, "testing": 1}
    case = datalist["training"][0]["case"]
    for m in (*BRATS_MODALITIES, "seg"):
        assert (demo_dir / case / f"{case}_{m}.nii.gz").is_file()
    seg = np.asarray(nib.load(demo_dir / case / f"{case}_seg.nii.gz").dataobj)
    assert set(np.unique(seg)) <= {0, 1, 2, 4} and (seg == 2).any()
    img = nib.load(demo_dir / case / f"{case}_flair.nii.gz")
    assert img.get_data_dtype() == np.int16 and img.shape == seg.shape


def _region_cnr(case_dir: Path, name: str, region: int, modality: str) -> float:
    seg = np.asarray(nib.load(case_dir / f"{name}_seg.nii.gz").dataobj)
    img = np.asarray(nib.load(case_dir / f"{name}_{modality}.nii.gz").dataobj, dtype=np.float32)
    inside = seg == region
    ring = ndimage.binary_dilation(seg > 0, iterations=2) & (seg == 0) & (img > 0)
    return float(abs(img[inside].mean() - img[ring].mean()) / img[ring].std())


def test_tumour_contrast_per_modality(tmp_path: Path) -> None:
    make_brats_demo(tmp_path, num_cases=2, seed=11, spacing=2.0, num_meta=0, val_fraction=0.0)
    name = "BratsDemo_0000"
    cnr = {m: _region_cnr(tmp_path / name, name, 2, m) for m in BRATS_MODALITIES}
    assert cnr["flair"] > 1.0 and cnr["t2"] > 1.0  # oedema bright on FLAIR and T2
    assert cnr["flair"] != cnr["t1"]


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    make_brats_demo(tmp_path / "a", num_cases=1, seed=5, spacing=4.0, num_meta=0, val_fraction=0.0)
    make_brats_demo(tmp_path / "b", num_cases=1, seed=5, spacing=4.0, num_meta=0, val_fraction=0.0)
    for m in ("t1ce", "seg"):
        a = np.asarray(nib.load(tmp_path / "a" / "BratsDemo_0000" / f"BratsDemo_0000_{m}.nii.gz").dataobj)
        b = np.asarray(nib.load(tmp_path / "b" / "BratsDemo_0000" / f"BratsDemo_0000_{m}.nii.gz").dataobj)
        assert np.array_equal(a, b)


def test_missing_fraction_removes_files(tmp_path: Path) -> None:
    make_brats_demo(tmp_path, num_cases=4, seed=0, spacing=4.0, missing_fraction=1.0, num_meta=0, val_fraction=0.0)
    datalist = json.loads((tmp_path / "datalist.json").read_text())
    assert all(any(m not in c for m in BRATS_MODALITIES) for c in datalist["training"])
