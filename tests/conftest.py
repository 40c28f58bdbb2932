from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BRATS18 = ROOT.parent / "shared" / "data" / "brats18"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def brats18_dir() -> Path:
    """The real BraTS 2018 sample cases beside the checkout; tests that need them skip where they are absent."""
    if not BRATS18.is_dir():
        pytest.skip(f"real BraTS sample cases not found at {BRATS18}")
    return BRATS18


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seven tiny demo cases (4 mm voxels) with a datalist (3 training, 2 validation, 1 meta-validation, 1 testing),
    made once per session."""
    from metakd_ext.data import make_brats_demo

    out = tmp_path_factory.mktemp("demo")
    make_brats_demo(out, num_cases=7, seed=3, spacing=4.0, val_fraction=0.34, test_fraction=0.15, num_meta=1)
    return out


@pytest.fixture()
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the demo data set."""
    dst = tmp_path / "demo"
    shutil.copytree(demo_dir, dst)
    return dst


@pytest.fixture(scope="session")
def adni_demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Forty ADNI-like demo subjects (6 mm voxels) with subjects.csv and a datalist, made once per session."""
    from metakd_ext.data import make_adni_demo

    out = tmp_path_factory.mktemp("adni")
    make_adni_demo(out, num_subjects=40, seed=5, spacing=6.0, num_meta=3)
    return out
