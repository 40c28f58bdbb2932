from __future__ import annotations

import gzip
import json
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from metakd_ext.data import read_idx, read_mnist, write_avmnist_datalist

SMALL = {"train_per_class": 6, "test_per_class": 3, "val_per_class": 1, "audio_rate": 0.5}
"""The protocol shrunk to the generated source: 6 training and 3 testing pairs a digit (1 validates, 3 keep audio)."""


def _write(src: Path, out: Path, **kwargs: object) -> dict:
    path = write_avmnist_datalist(
        str(src / "fsdd"), str(src / "mnist"), str(out / "datalist.json"), **{**SMALL, **kwargs}
    )
    return json.loads(path.read_text())


def _recording(entry: dict) -> tuple[int, str, int]:
    match = re.match(r"(\d)_([a-z]+)_(\d+)\.wav", Path(entry["audio"]).name)
    assert match
    return int(match.group(1)), match.group(2), int(match.group(3))


def test_counts_rate_and_sections(fake_avmnist: Path, tmp_path: Path) -> None:
    content = _write(fake_avmnist, tmp_path, audio_rate=0.5)
    assert content["protocol"]["full_pairs_per_class"] == 3 and content["protocol"]["missing_modality"] == "audio"
    per_digit = {
        s: Counter(e["label"] for e in content[s]) for s in ("training", "validation", "meta_validation", "testing")
    }
    assert per_digit == {
        "training": dict.fromkeys(range(10), 5),
        "validation": dict.fromkeys(range(10), 1),
        "meta_validation": dict.fromkeys(range(10), 3),
        "testing": dict.fromkeys(range(10), 3),
    }
    with_audio = Counter(e["label"] for e in content["training"] if "audio" in e)
    assert with_audio == dict.fromkeys(range(10), 3)  # int(0.5 * 6) a digit keep their recording
    assert all("image" in e for s in ("training", "validation", "testing") for e in content[s])
    assert not any("audio" in e for e in content["validation"])  # validation is the test condition: audio missing
    assert all("audio" in e and "image" in e for e in content["testing"] + content["meta_validation"])
    meta = {e["subject"] for e in content["meta_validation"]}
    assert meta <= {e["subject"] for e in content["training"] if "audio" in e}  # SMIL: the full pairs
    held = {e["subject"] for s in ("validation", "testing") for e in content[s]}
    assert not held & {e["subject"] for e in content["training"]}


def test_pairs_are_within_a_class_and_test_recordings_stay_out_of_training(fake_avmnist: Path, tmp_path: Path) -> None:
    content = _write(fake_avmnist, tmp_path, audio_rate=1.0, val_per_class=0)
    images, labels = read_mnist(fake_avmnist / "mnist", "t10k")
    for section in ("training", "testing"):
        for entry in content[section]:
            digit, _, index = _recording(entry)
            assert digit == entry["label"]
            assert (index < 15) == (section == "testing")
            source = int(Path(entry["image"]).stem.split("_")[1])
            assert labels[source] == entry["label"]
            png = np.asarray(Image.open(tmp_path / entry["image"]))
            np.testing.assert_array_equal(png, images[source])
    train_images = {e["image"] for e in content["training"]}
    assert not train_images & {e["image"] for e in content["testing"]}  # first and last images of each digit
    assert len({e["audio"] for e in content["training"]}) == 60  # every training recording once


def test_seeded_draws(fake_avmnist: Path, tmp_path: Path) -> None:
    first = _write(fake_avmnist, tmp_path / "a", audio_rate=0.5, seed=1)
    again = _write(fake_avmnist, tmp_path / "b", audio_rate=0.5, seed=1)
    other = _write(fake_avmnist, tmp_path / "c", audio_rate=0.5, seed=2)
    assert first["training"] == again["training"]
    assert first["training"] != other["training"]


def test_image_missing_setting(fake_avmnist: Path, tmp_path: Path) -> None:
    content = _write(fake_avmnist, tmp_path, audio_rate=1.0, image_rate=0.34)
    assert content["protocol"]["missing_modality"] == "image"
    assert Counter(e["label"] for e in content["training"] if "image" in e) == dict.fromkeys(range(10), 2)
    assert all("audio" in e for e in content["training"]) and not any("image" in e for e in content["validation"])


def test_the_training_set_is_used_when_present(fake_avmnist: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(fake_avmnist, src)
    for kind in ("images-idx3", "labels-idx1"):
        shutil.copy(src / "mnist" / f"t10k-{kind}-ubyte.gz", src / "mnist" / f"train-{kind}-ubyte.gz")
    content = _write(src, tmp_path, audio_rate=0.5)
    assert content["protocol"]["training_images"] == "MNIST training set"
    assert all(Path(e["image"]).stem.startswith("train_") for e in content["training"])


def test_more_recordings_than_pairs_are_drawn(make_avmnist: Callable[..., Path], tmp_path: Path) -> None:
    src = make_avmnist(tmp_path / "src", train_indices=(15, 16, 17, 18))
    content = _write(src, tmp_path, audio_rate=1.0, val_per_class=0)
    assert len(content["training"]) == 60  # 6 of the 12 training recordings a digit


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"audio_rate": 0.5, "image_rate": 0.5}, "one modality is missing at a time"),
        ({"audio_rate": 0.1}, r"audio_rate 0.1 keeps 0 of 6 training pairs"),
        ({"audio_rate": 1.5}, r"`audio_rate` must be in \(0, 1\]"),
        (
            {"train_per_class": 8},
            r"digit 0 has too few samples \(training images: 9 of 11, training recordings: 6 of 8\)",
        ),
        ({"speakers": ["jackson", "lucas"]}, r"no recording of speakers \['lucas'\]"),
    ],
)
def test_bad_arguments(fake_avmnist: Path, tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _write(fake_avmnist, tmp_path, **kwargs)


def test_bad_files_are_named(fake_avmnist: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(fake_avmnist, src)
    broken = src / "fsdd" / "recordings" / "3_theo_15.wav"
    broken.write_bytes(b"not a wav")
    with pytest.raises(ValueError, match=r"recording .*3_theo_15.wav is not a readable wav file"):
        _write(src, tmp_path)
    labels = src / "mnist" / "t10k-labels-idx1-ubyte.gz"
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.gz has magic number 2051, expected 2049"):
        read_idx(src / "mnist" / "t10k-images-idx3-ubyte.gz", 2049)
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes())[:-5]))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.gz holds 85 bytes of data, its header says \[90\]"):
        read_idx(labels, 2049)
    labels.write_bytes(gzip.compress(b"".join(v.to_bytes(4, "big") for v in (2049, 3)) + bytes(3)))
    with pytest.raises(ValueError, match=r"90 images but 3 labels"):
        read_mnist(src / "mnist", "t10k")
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte.gz not found"):
        read_mnist(src / "mnist", "train")
