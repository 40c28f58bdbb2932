"""Datalist JSON files: four disjoint sections, seeded splits, reading a section with absolute paths."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "DATALIST_SECTIONS",
    "SECTION_BIAS",
    "check_split_arguments",
    "cross_validation_datalists",
    "evaluation_split",
    "load_datalist",
    "load_inference_datalist",
    "read_split_file",
    "split_cases",
]

logger = logging.getLogger("metakd")

DATALIST_SECTIONS = ("training", "validation", "meta_validation", "testing")
"""The four disjoint parts of a datalist: training trains, validation chooses the checkpoint, meta-validation
drives the meta step (or the LCKD election), testing chooses nothing."""

SECTION_BIAS = {
    "training": "trained the model",
    "validation": "chose the checkpoint",
    "meta_validation": "chose the modality weights",
}
"""What each section other than ``testing`` chose; scores on it are biased upwards."""


def read_split_file(path: str | os.PathLike) -> list[str]:
    """Case names from a split file: one name a line; blank lines and ``#`` comments are skipped."""
    lines = Path(path).read_text().splitlines()
    return [s for s in (line.split("#")[0].strip() for line in lines) if s]


def check_split_arguments(val_fraction: float, test_fraction: float, num_meta: int) -> None:
    """Checks the fractions and the meta-validation count of a seeded split.

    Raises:
        ValueError: a fraction is outside [0, 1), the two add up to 1 or more, or ``num_meta`` is negative.
    """
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"`{name}` must be in [0, 1), got {value}.")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(f"`val_fraction` + `test_fraction` must be < 1, got {val_fraction + test_fraction}.")
    if num_meta < 0:
        raise ValueError(f"`num_meta` must be >= 0, got {num_meta}.")


def split_cases(
    names: Sequence[str], val_fraction: float = 0.1, test_fraction: float = 0.2, num_meta: int = 5, seed: int = 0
) -> dict[str, list[str]]:
    """Seeded split of labelled case names into ``training``, ``validation``, ``meta_validation`` and ``testing``.

    Four disjoint parts: training trains, validation chooses the checkpoint, meta-validation drives the meta step
    (the authors hold out 5 of 285 BraTS 2018 cases) and testing chooses nothing, so a table of its scores is
    unbiased. The defaults on BraTS 2018 (285 cases) give 195 training, 28 validation, 5 meta-validation and 57
    testing cases (the test size of the RFNet split). At least one case always stays in training; a non-zero
    fraction gets at least one case when there are enough.

    Raises:
        ValueError: an argument is out of range or there are no cases.
    """
    if not names:
        raise ValueError("cannot split an empty list of cases.")
    check_split_arguments(val_fraction, test_fraction, num_meta)
    order = list(np.random.RandomState(seed).permutation(sorted(names)))
    n = len(order)
    counts = []
    left = n - 1
    for fraction in (test_fraction, val_fraction):
        k = int(round(fraction * n))
        if fraction > 0 and n >= 3:
            k = max(k, 1)
        k = min(k, left)
        counts.append(k)
        left -= k
    n_test, n_val = counts
    n_meta = min(num_meta, left)
    return {
        "testing": sorted(order[:n_test]),
        "validation": sorted(order[n_test : n_test + n_val]),
        "meta_validation": sorted(order[n_test + n_val : n_test + n_val + n_meta]),
        "training": sorted(order[n_test + n_val + n_meta :]),
    }


def cross_validation_datalists(path: str | os.PathLike, folds: int, seed: int = 0) -> list[dict]:
    """K-fold datalists from one datalist, so that every labelled case is held out once.

    The labelled entries of all sections are pooled and split, seeded, into ``folds`` disjoint parts. Fold ``k``
    tests part ``k``; of the other cases, as many as the datalist has in ``validation`` and ``meta_validation``
    go there (at least one case is left to train) and the rest train. Paths stay as they are (relative to the
    same ``dataset_dir``); other keys (``modalities``...) are copied; cases without a label are left out.

    Args:
        path: the datalist JSON.
        folds: the number of folds, from 2 to the number of labelled cases.
        seed: seed of the split into folds and of the choice of validation and meta-validation cases.

    Raises:
        FileNotFoundError: the JSON does not exist.
        ValueError: ``folds`` is out of range.
    """
    content = _read_datalist(path)
    entries = [e for section in DATALIST_SECTIONS for e in content.get(section) or [] if "label" in e]
    if not 2 <= folds <= len(entries):
        raise ValueError(
            f"`folds` must be from 2 to the {len(entries)} labelled cases of datalist {path}, got {folds}."
        )
    order = np.random.RandomState(seed).permutation(len(entries))
    parts = np.array_split(order, folds)
    sizes = [len(content.get(s) or []) for s in ("validation", "meta_validation")]
    others = {k: v for k, v in content.items() if k not in DATALIST_SECTIONS}
    datalists = []
    for test in parts:
        held_out = set(test.tolist())
        rest = [int(i) for i in order if i not in held_out]
        n_val = min(sizes[0], len(rest) - 1)
        n_meta = min(sizes[1], len(rest) - 1 - n_val)
        sections = {
            "training": rest[n_val + n_meta :],
            "validation": rest[:n_val],
            "meta_validation": rest[n_val : n_val + n_meta],
            "testing": test.tolist(),
        }
        datalists.append({**others, **{name: [entries[i] for i in sorted(idx)] for name, idx in sections.items()}})
    return datalists


def load_datalist(
    path: str | os.PathLike,
    section: str,
    base_dir: str | os.PathLike | None = None,
    path_keys: Sequence[str] = ("image", "label"),
    labelled: bool = False,
) -> list[dict]:
    """The entries of one section of a datalist JSON, with the file keys made absolute.

    Unlike ``monai.data.load_decathlon_datalist`` only ``path_keys`` are joined with ``base_dir``, so a case name
    that happens to match a folder stays a name, and an empty section is an empty list.

    Args:
        path: the datalist JSON.
        section: e.g. ``"training"``, ``"validation"``, ``"meta_validation"``, ``"testing"``.
        base_dir: folder the relative paths are relative to; default the JSON's folder.
        path_keys: keys whose values are file paths (the bundles pass their modality names too).
        labelled: keep only the entries with a ``"label"`` (to score them; ``testing`` may also hold cases to
            predict only).

    Raises:
        FileNotFoundError: the JSON does not exist.
        ValueError: the file is not a JSON object, or has no such section.
    """
    path = Path(path)
    content = _read_datalist(path)
    if section not in content:
        sections = [k for k, v in content.items() if isinstance(v, list)]
        raise ValueError(f"datalist {path} has no section {section!r}; it has {sections}.")
    root = Path(base_dir) if base_dir is not None else path.parent
    entries = []
    for item in content[section]:
        if labelled and "label" not in item:
            continue
        entry = dict(item)
        for key in path_keys:
            value = entry.get(key)
            if isinstance(value, str) and value and not os.path.isabs(value):
                entry[key] = str(root / value)
        entries.append(entry)
    return entries


def load_inference_datalist(
    path: str | os.PathLike,
    section: str,
    base_dir: str | os.PathLike | None = None,
    path_keys: Sequence[str] = ("image", "label"),
) -> list[dict]:
    """The cases of ``section`` to predict (:func:`load_datalist`), where an empty section is an error, not a run
    that writes nothing.

    Raises:
        FileNotFoundError: the JSON does not exist.
        ValueError: the file is not a JSON object, has no such section, or the section holds no case; the message
            names the datalist, the section, the sizes of the others, and ``--infer_split`` / ``--input_dir``.
    """
    entries = load_datalist(path, section, base_dir=base_dir, path_keys=path_keys)
    if not entries:
        content = _read_datalist(path)
        sizes = ", ".join(f"{k} {len(content.get(k) or [])}" for k in DATALIST_SECTIONS)
        raise ValueError(
            f"datalist {path} has no case in section {section!r} to predict (it has {sizes}); pass --infer_split "
            "with a section that holds the cases, or --input_dir with a folder of them."
        )
    return entries


def evaluation_split(path: str | os.PathLike, preferred: str = "testing", fallback: str = "validation") -> str:
    """The datalist section a table should score: ``preferred`` when it holds labelled cases, else ``fallback``.

    Scores on ``testing`` are held out; where a datalist has no labelled testing cases (written before they
    existed, or from split files without ``--test_split``), the fallback is scored and a warning says what those
    cases chose (:data:`SECTION_BIAS`), as the evaluation summary does.

    Raises:
        FileNotFoundError: the JSON does not exist.
        ValueError: neither section holds a labelled case.
    """
    content = _read_datalist(path)
    for section in (preferred, fallback):
        if any("label" in entry for entry in content.get(section) or []):
            if section != preferred:
                logger.warning(
                    f"datalist {path} has no labelled {preferred!r} cases; scoring {section!r}, whose cases "
                    f"{SECTION_BIAS.get(section, 'may have chosen something')}: the scores are biased upwards. "
                    "Write the datalist again with a test fraction for held-out scores."
                )
            return section
    raise ValueError(
        f"datalist {path} has no labelled cases in {preferred!r} or {fallback!r}; nothing to score. Write it with "
        "`python -m metakd_ext datalist ... --test_fraction 0.2`."
    )


def _read_datalist(path: str | os.PathLike) -> dict:
    """The content of a datalist JSON.

    Raises:
        FileNotFoundError: it does not exist (the message says how to write one).
        ValueError: it is not a JSON object (the message names the file, line and column).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"datalist {path} not found; write one with `python -m metakd_ext datalist brats --data_dir DIR "
            "--output FILE` and pass it as `datalist`."
        )
    try:
        content = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(
            f"datalist {path} is not valid JSON ({e}); fix it, or write it again with `python -m metakd_ext "
            "datalist ...`."
        ) from e
    if not isinstance(content, dict):
        raise ValueError(f"datalist {path} holds a JSON {type(content).__name__}, not an object of sections.")
    return content
