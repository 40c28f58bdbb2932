"""AV-MNIST (a handwritten digit and a spoken digit of the same class) with a missing modality: the SMIL / MetaKD
protocol as a datalist.

The protocol (SMIL, Ma et al., AAAI 2021; MetaKD, Wang et al., arXiv 2405.07155): spoken digits of the Free Spoken
Digit Dataset (FSDD, speakers jackson, nicolas and theo), a recording with index < 15 for testing and the others for
training; per digit 105 training and 45 testing images of MNIST; an image and a recording paired within a digit
class. Only ``audio_rate`` of the training pairs keep their recording (SMIL: 5 to 20 %), the others are image-only.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from metakd_ext.utils.io import atomic_write_text

__all__ = [
    "AVMNIST_CLASS_NAMES",
    "AVMNIST_SPEAKERS",
    "FSDD_SPEAKERS",
    "fsdd_recordings",
    "read_idx",
    "read_mnist",
    "write_avmnist_datalist",
]

logger = logging.getLogger("metakd")

AVMNIST_CLASS_NAMES = tuple(str(d) for d in range(10))
"""The ten digit classes, in class-index order."""

AVMNIST_SPEAKERS = ("jackson", "nicolas", "theo")
"""The FSDD speakers of the protocol (FSDD v1.0.8, as SMIL used it)."""

FSDD_SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
"""All six speakers of FSDD 1.0.10 and later."""

FSDD_TEST_INDICES = 15
"""Recordings with an index below this are test recordings (the FSDD README's split)."""

_IDX_MAGIC = {2049: 1, 2051: 3}
_FSDD_NAME = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)\.wav$")


def read_idx(path: str | os.PathLike, magic: int) -> np.ndarray:
    """An MNIST idx file (``.gz`` or not) as a uint8 array: (N, rows, cols) images (magic 2051) or (N,) labels (2049).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: its magic number is not ``magic`` or its size does not match its header.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MNIST file {path} not found; get the official files (see the AV-MNIST README).")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"MNIST file {path} cannot be read ({e}); download it again.") from None
    dims = _IDX_MAGIC[magic]
    found = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
    if found != magic:
        raise ValueError(
            f"MNIST file {path} has magic number {found}, expected {magic} "
            f"({'images' if magic == 2051 else 'labels'}); is it the right file, and not truncated?"
        )
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    header = 4 + 4 * dims
    if len(raw) != header + int(np.prod(shape)):
        raise ValueError(
            f"MNIST file {path} holds {len(raw) - header} bytes of data, its header says {shape} "
            f"({int(np.prod(shape))}); the file is truncated or corrupt, download it again."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_mnist(mnist_dir: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The (N, 28, 28) uint8 images and (N,) labels of an MNIST split (``"train"`` or ``"t10k"``) in ``mnist_dir``,
    from ``<split>-images-idx3-ubyte[.gz]`` and ``<split>-labels-idx1-ubyte[.gz]``.

    Raises:
        FileNotFoundError: a file of the split is absent.
        ValueError: a file is malformed (see :func:`read_idx`) or the counts of images and labels differ.
    """
    arrays = []
    for kind, magic in (("images-idx3", 2051), ("labels-idx1", 2049)):
        name = f"{split}-{kind}-ubyte"
        candidates = [Path(mnist_dir) / f"{name}.gz", Path(mnist_dir) / name]
        path = next((p for p in candidates if p.is_file()), candidates[0])
        arrays.append(read_idx(path, magic))
    images, labels = arrays
    if len(images) != len(labels):
        raise ValueError(
            f"MNIST {split} in {mnist_dir}: {len(images)} images but {len(labels)} labels; the files do not belong "
            "together."
        )
    return images, labels


def fsdd_recordings(fsdd_dir: str | os.PathLike, speakers: Sequence[str]) -> dict[int, dict[str, list[Path]]]:
    """The recordings of ``speakers`` in an FSDD folder (the repository, or its ``recordings/``), per digit and part.

    A recording ``{digit}_{speaker}_{index}.wav`` is a test recording when its index is below 15, a training one
    otherwise (the FSDD README's split). Every recording's wav header is read, so that a broken file is found here.

    Returns:
        ``{digit: {"train": [paths], "test": [paths]}}``, each list sorted by speaker and index.

    Raises:
        FileNotFoundError: the folder or its recordings do not exist.
        ValueError: a wav file is unreadable or empty, or a speaker has no recording (the message names it).
    """
    root = Path(fsdd_dir)
    folder = root / "recordings" if (root / "recordings").is_dir() else root
    if not folder.is_dir():
        raise FileNotFoundError(
            f"FSDD folder {root} not found; clone github.com/Jakobovski/free-spoken-digit-dataset and pass its folder."
        )
    found: dict[int, dict[str, list[tuple[str, int, Path]]]] = {d: {"train": [], "test": []} for d in range(10)}
    seen: set[str] = set()
    for path in sorted(folder.glob("*.wav")):
        match = _FSDD_NAME.match(path.name)
        if match is None or match.group(2) not in speakers:
            continue
        digit, speaker, index = int(match.group(1)), match.group(2), int(match.group(3))
        _check_wav(path)
        seen.add(speaker)
        part = "test" if index < FSDD_TEST_INDICES else "train"
        found[digit][part].append((speaker, index, path))
    absent = [s for s in speakers if s not in seen]
    if absent:
        raise ValueError(
            f"FSDD folder {folder} has no recording of speakers {absent} (names like 3_theo_20.wav); "
            f"choose from {list(FSDD_SPEAKERS)} or use a newer FSDD."
        )
    return {d: {part: [p for _, _, p in sorted(items)] for part, items in parts.items()} for d, parts in found.items()}


def _check_wav(path: Path) -> None:
    try:
        with wave.open(str(path), "rb") as w:
            frames = w.getnframes()
    except (wave.Error, EOFError, OSError) as e:
        raise ValueError(f"recording {path} is not a readable wav file ({e}); replace or remove it.") from None
    if frames == 0:
        raise ValueError(f"recording {path} has no samples; replace or remove it.")


def _save_png(image: np.ndarray, path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(image).save(tmp, format="PNG")
    os.replace(tmp, path)


def write_avmnist_datalist(
    fsdd_dir: str,
    mnist_dir: str,
    output: str,
    audio_rate: float = 0.15,
    image_rate: float = 1.0,
    speakers: Sequence[str] = AVMNIST_SPEAKERS,
    train_per_class: int = 105,
    test_per_class: int = 45,
    val_per_class: int = 5,
    seed: int = 0,
) -> Path:
    """Writes an AV-MNIST datalist JSON (and the chosen MNIST images as PNG files beside it) by the SMIL protocol.

    Per digit: ``train_per_class`` training and ``test_per_class`` testing images and recordings, each image paired
    with a recording of its digit (a seeded draw); test recordings are those with an index below 15. Images: with
    the MNIST training set in ``mnist_dir`` (``train-*-ubyte[.gz]``), the first ``train_per_class`` of each digit
    train (SMIL); the last ``test_per_class`` of each digit of the test set (``t10k-*``) are the testing images
    (SMIL). Without the training set, the training images are a seeded draw from the rest of the test set, so that
    they come from both of its writer populations (its first half was written by Census Bureau employees, its
    second, where the testing images are, by students), as the training set's do; training and testing images
    never meet. Images go to
    ``<output folder>/avmnist_images/`` as PNG, paths in the JSON are relative to the JSON's folder (the bundle's
    ``dataset_dir``).

    Of the training pairs of each digit, a seeded ``int(audio_rate * train_per_class)`` keep their recording (the
    others are image-only); in the image-missing setting (``image_rate`` < 1, ``audio_rate`` 1) the images are
    dropped instead. Sections: ``training`` (all training pairs but the validation ones), ``meta_validation``
    (the training pairs that have both modalities: SMIL's meta-validation set, the only pairs where both are seen;
    they also train), ``validation`` (``val_per_class`` pairs per digit without the missing modality, left out of
    training, scored as the test condition to choose the checkpoint), ``testing`` (both modalities; the
    evaluation drops each in turn). The JSON records the protocol under ``"protocol"``.

    Args:
        fsdd_dir: the FSDD repository or its ``recordings`` folder.
        mnist_dir: folder of the MNIST idx files (``t10k-*`` at least).
        output: the datalist JSON to write.
        audio_rate: fraction of the training pairs that keep their recording.
        image_rate: fraction of the training pairs that keep their image (one of the two rates must be 1).
        speakers: FSDD speakers (default the protocol's three; :data:`FSDD_SPEAKERS` for all six).
        train_per_class: training pairs per digit (105).
        test_per_class: testing pairs per digit (45).
        val_per_class: training pairs per digit held out for validation.
        seed: seed of the pairing, of the recordings drawn (more speakers than needed), of the pairs that keep
            the missing modality and, without the MNIST training set, of the training images.

    Returns:
        The path of the JSON.

    Raises:
        FileNotFoundError: a folder or an MNIST file is absent.
        ValueError: an argument is out of range, a file is malformed (named), or a digit has too few images or
            recordings (named, with the counts).
    """
    rates = {"audio": float(audio_rate), "image": float(image_rate)}
    for name, rate in rates.items():
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"`{name}_rate` must be in (0, 1], got {rate}.")
    partial = [m for m, r in rates.items() if r < 1.0]
    if len(partial) > 1:
        raise ValueError("one modality is missing at a time: set `audio_rate` or `image_rate` to 1.")
    if min(train_per_class, test_per_class) < 1 or val_per_class < 0:
        raise ValueError("`train_per_class` and `test_per_class` must be >= 1 and `val_per_class` >= 0.")
    missing = partial[0] if partial else "audio"
    n_full = int(rates[missing] * train_per_class)
    if n_full < 1 or n_full + val_per_class > train_per_class:
        raise ValueError(
            f"{missing}_rate {rates[missing]} keeps {n_full} of {train_per_class} training pairs per digit; it must "
            f"keep at least 1 and leave {val_per_class} for validation."
        )
    out = Path(output)
    recordings = fsdd_recordings(fsdd_dir, speakers)
    test_images, test_labels = read_mnist(mnist_dir, "t10k")
    has_train = any((Path(mnist_dir) / f"train-images-idx3-ubyte{s}").is_file() for s in ("", ".gz"))
    train_images, train_labels = read_mnist(mnist_dir, "train") if has_train else (test_images, test_labels)
    image_source = "MNIST training set" if has_train else "MNIST test set (a seeded draw, testing images excluded)"
    if not has_train:
        logger.warning(
            f"no MNIST training set in {mnist_dir}: the training images are a seeded draw of {train_per_class} a digit "
            f"from the test set, never one of its last {test_per_class} a digit (the testing images)."
        )
    rng = np.random.RandomState(seed)
    sections: dict[str, list[dict]] = {s: [] for s in ("training", "validation", "meta_validation", "testing")}
    for digit in range(10):
        train_idx = np.flatnonzero(train_labels == digit)
        test_idx = np.flatnonzero(test_labels == digit)
        needed = train_per_class + (0 if has_train else test_per_class)
        counts = {
            "training images": (len(train_idx), needed),
            "testing images": (len(test_idx), test_per_class),
            "training recordings": (len(recordings[digit]["train"]), train_per_class),
            "testing recordings": (len(recordings[digit]["test"]), test_per_class),
        }
        short = {k: v for k, v in counts.items() if v[0] < v[1]}
        if short:
            detail = ", ".join(f"{k}: {have} of {need}" for k, (have, need) in short.items())
            raise ValueError(
                f"digit {digit} has too few samples ({detail}) in {mnist_dir} / {fsdd_dir}; "
                "lower train_per_class / test_per_class or add speakers."
            )
        if not has_train:  # both writer populations of the test set (its first half is SD-3, its second SD-1)
            train_idx = np.sort(rng.choice(test_idx[:-test_per_class], train_per_class, replace=False))
        parts = {
            "train": (train_idx[:train_per_class], "train" if has_train else "t10k", train_images),
            "test": (test_idx[-test_per_class:], "t10k", test_images),
        }
        pairs: dict[str, list[dict]] = {}
        for part, (indices, source, images) in parts.items():
            pool = recordings[digit][part]
            chosen = sorted(rng.choice(len(pool), len(indices), replace=False)) if len(pool) > len(indices) else None
            sounds = [pool[i] for i in chosen] if chosen is not None else list(pool)
            order = rng.permutation(len(sounds))
            pairs[part] = []
            for k, (index, sound) in enumerate(zip(indices, (sounds[i] for i in order))):
                png = out.parent / "avmnist_images" / part / str(digit) / f"{source}_{int(index):05d}.png"
                _save_png(images[index], png)
                pairs[part].append(
                    {
                        "subject": f"{part}_{digit}_{k:03d}",
                        "label": digit,
                        "image": os.path.relpath(png.resolve(), out.parent.resolve()),
                        "audio": os.path.relpath(sound.resolve(), out.parent.resolve()),
                    }
                )
        order = rng.permutation(train_per_class)
        full = [pairs["train"][i] for i in order[:n_full]]
        val = [
            {k: v for k, v in pairs["train"][i].items() if k != missing} for i in order[n_full : n_full + val_per_class]
        ]
        rest = [{k: v for k, v in pairs["train"][i].items() if k != missing} for i in order[n_full + val_per_class :]]
        sections["training"] += full + rest
        sections["meta_validation"] += full
        sections["validation"] += val
        sections["testing"] += pairs["test"]
    content: dict[str, object] = {
        "class_names": list(AVMNIST_CLASS_NAMES),
        "protocol": {
            "missing_modality": missing,
            "rate": rates[missing],
            "full_pairs_per_class": n_full,
            "speakers": list(speakers),
            "train_per_class": train_per_class,
            "test_per_class": test_per_class,
            "val_per_class": val_per_class,
            "training_images": image_source,
            "seed": seed,
        },
    }
    content.update({name: sorted(entries, key=lambda e: e["subject"]) for name, entries in sections.items()})
    atomic_write_text(out, json.dumps(content, indent=2) + "\n")
    return out
