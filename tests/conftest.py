from __future__ import annotations

import gzip
import shutil
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BRATS18 = ROOT.parent / "shared" / "data" / "brats18"
AVMNIST = ROOT.parent / "shared" / "data" / "avmnist"


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


def write_idx(path: Path, array: np.ndarray) -> None:
    """An MNIST idx file (gzipped): magic 2051 for (N, 28, 28) images, 2049 for (N,) labels."""
    magic = 2051 if array.ndim == 3 else 2049
    header = b"".join(int(v).to_bytes(4, "big") for v in (magic, *array.shape))
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def write_tone(path: Path, digit: int, seconds: float = 0.25, rate: int = 8000) -> None:
    """A mono 16-bit wav of a tone whose pitch is the digit's, like an FSDD recording."""
    t = np.arange(int(seconds * rate)) / rate
    signal = (0.5 * np.sin(2 * np.pi * (200 + 150 * digit) * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(signal.tobytes())


def make_fake_avmnist(root: Path, images_per_digit: int = 9, train_indices: tuple[int, ...] = (15, 16)) -> Path:
    """A tiny AV-MNIST source: ``mnist/t10k-*`` with ``images_per_digit`` images a digit (the digit's value as a
    bright row) and ``fsdd/recordings`` with, per digit and speaker (jackson, nicolas, theo), test recording 0 and
    training recordings ``train_indices``."""
    rng = np.random.RandomState(0)
    labels = np.repeat(np.arange(10), images_per_digit)
    rng.shuffle(labels)
    images = rng.randint(0, 40, size=(labels.size, 28, 28))
    images[np.arange(labels.size), 2 + 2 * labels] = 255
    (root / "mnist").mkdir(parents=True)
    write_idx(root / "mnist" / "t10k-images-idx3-ubyte.gz", images)
    write_idx(root / "mnist" / "t10k-labels-idx1-ubyte.gz", labels)
    recordings = root / "fsdd" / "recordings"
    recordings.mkdir(parents=True)
    for digit in range(10):
        for speaker in ("jackson", "nicolas", "theo"):
            for index in (0, *train_indices):
                write_tone(recordings / f"{digit}_{speaker}_{index}.wav", digit)
    return root


@pytest.fixture(scope="session")
def fake_avmnist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny generated AV-MNIST source (see :func:`make_fake_avmnist`): 9 images, 3 test and 6 training
    recordings a digit."""
    return make_fake_avmnist(tmp_path_factory.mktemp("avmnist_src"))


@pytest.fixture()
def make_avmnist() -> Callable[..., Path]:
    """:func:`make_fake_avmnist`, for a test that needs a source of its own."""
    return make_fake_avmnist


@pytest.fixture(scope="session")
def avmnist_source(fake_avmnist: Path) -> Path:
    """The real spoken and written digits beside the checkout (``../shared/data/avmnist``), else the generated
    stand-in."""
    return AVMNIST if AVMNIST.is_dir() else fake_avmnist
