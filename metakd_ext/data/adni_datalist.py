"""Subjects of a multi-modal classification study (ADNI-like) from a CSV: datalist, stratified split, statistics.

The CSV has one row per subject: an id column, a diagnosis column, one path column per image modality and one or
more value columns per tabular modality. An empty cell is missing: an image modality without a path, or a
tabular modality with no value at all, is a missing modality of that subject.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from metakd_ext.data.datalist import DATALIST_SECTIONS, check_split_arguments
from metakd_ext.utils.enums import BatchKey
from metakd_ext.utils.io import atomic_write_text

__all__ = [
    "ADNI_IMAGE_COLUMNS",
    "ADNI_LABELS",
    "ADNI_TABULAR_COLUMNS",
    "read_subject_table",
    "stratified_split",
    "tabular_stats",
    "write_subject_datalist",
    "load_tabular_stats",
]

logger = logging.getLogger("metakd")

ADNI_LABELS = ("CN", "MCI", "AD")
"""Default diagnosis labels: cognitively normal, mild cognitive impairment, Alzheimer's disease."""

ADNI_IMAGE_COLUMNS: dict[str, str] = {"mri": "mri", "pet": "pet"}
"""Image modality -> path column: the default columns of a subjects CSV (those the demo writes)."""

ADNI_TABULAR_COLUMNS: dict[str, list[str]] = {
    "clinical": ["age", "sex", "mmse", "cdr_sb"],
    "csf": ["abeta42", "ttau", "ptau"],
    "genetic": ["apoe4"],
}
"""Tabular modality -> value columns: the default columns of a subjects CSV (those the demo writes)."""


def _cell(row: Mapping[str, str | None], column: str) -> str:
    return (row.get(column) or "").strip()


def read_subject_table(
    csv_path: str | os.PathLike,
    image_columns: Mapping[str, str],
    tabular_columns: Mapping[str, Sequence[str]],
    labels: Sequence[str] | None = ADNI_LABELS,
    id_column: str = "subject",
    label_column: str = "diagnosis",
    base_dir: str | os.PathLike | None = None,
    absolute_paths: bool = False,
    skip_bad_rows: bool = False,
) -> list[dict]:
    """Reads the subjects of a CSV into datalist entries.

    Args:
        csv_path: the subjects CSV.
        image_columns: ``{modality: path column}``; a relative path is relative to ``base_dir``.
        tabular_columns: ``{modality: [value columns]}``.
        labels: the class names in class-index order; None reads an unlabelled CSV (inference).
        id_column: column of the subject id.
        label_column: column of the diagnosis.
        base_dir: folder of relative image paths; default the CSV's folder.
        absolute_paths: give image paths resolved against ``base_dir`` (for loading them at once) instead of as
            written in the CSV (for a datalist beside it).
        skip_bad_rows: for inference: a row that cannot be used gives ``{"subject", "unusable": why}`` (logged as a
            warning), which inference skips and lists, instead of an error.

    Returns:
        One dict per subject: ``"subject"``, ``"label"`` (class index, when labelled), the path of each image
        modality it has, and per tabular modality it has a list of floats (None for an
        empty cell).

    Raises:
        FileNotFoundError: the CSV or an image file does not exist (the message names the row and column).
        ValueError: a column is absent, or (without ``skip_bad_rows``) a row has an unknown label, a non-numeric
            value, a repeated id or no modality at all; the message names the row.
    """
    path = Path(csv_path)
    if not path.is_file():
        raise FileNotFoundError(f"subjects CSV {path} not found; write one (see the bundle README) or check the path.")
    root = Path(base_dir) if base_dir is not None else path.parent
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        needed = [id_column, *image_columns.values(), *(c for cols in tabular_columns.values() for c in cols)]
        if labels is not None:
            needed.append(label_column)
        absent = [c for c in needed if c not in header]
        if absent:
            raise ValueError(
                f"{path}: columns {absent} not found; the file has {header}. Fix the config's column names."
            )
        rows = list(reader)
    entries: list[dict] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        where = f"{path} row {number}"
        subject = _cell(row, id_column)
        try:
            if not subject:
                raise ValueError(f"{where}: empty {id_column!r}; every subject needs an id.")
            if subject in seen:
                raise ValueError(f"{where}: subject {subject} appears twice; give each subject one row.")
            seen.add(subject)
            entries.append(
                _subject_entry(
                    row, where, subject, image_columns, tabular_columns, labels, label_column, root, absolute_paths
                )
            )
        except (ValueError, FileNotFoundError) as e:
            if not skip_bad_rows:
                raise
            logger.warning(f"skipped: {e}")
            entries.append({"subject": subject or f"row {number}", str(BatchKey.UNUSABLE): f"{type(e).__name__}: {e}"})
    if not entries:
        raise ValueError(f"{path} has no subjects.")
    return entries


def _subject_entry(
    row: Mapping[str, str],
    where: str,
    subject: str,
    image_columns: Mapping[str, str],
    tabular_columns: Mapping[str, Sequence[str]],
    labels: Sequence[str] | None,
    label_column: str,
    root: Path,
    absolute_paths: bool,
) -> dict:
    """The datalist entry of one CSV row (see :func:`read_subject_table`); ``where`` names the row in messages.

    Raises:
        FileNotFoundError: an image file does not exist.
        ValueError: an unknown label, a non-numeric value, or no modality at all.
    """
    entry: dict = {"subject": subject}
    if labels is not None:
        label = _cell(row, label_column)
        if label not in labels:
            raise ValueError(
                f"{where} (subject {subject}): unknown {label_column} {label!r}; the labels are {list(labels)} "
                "(for another label set pass `--labels` to `datalist adni` and set `class_names` in the bundle "
                "config)."
            )
        entry["label"] = list(labels).index(label)
    for modality, column in image_columns.items():
        value = _cell(row, column)
        if not value:
            continue
        file = Path(value) if os.path.isabs(value) else root / value
        if not file.is_file():
            raise FileNotFoundError(
                f"{where} (subject {subject}): {column} file {file} does not exist; fix the path or leave the "
                "cell empty if the subject lacks this modality."
            )
        entry[modality] = str(file.resolve()) if absolute_paths else value
    for modality, columns in tabular_columns.items():
        values: list[float | None] = []
        for column in columns:
            text = _cell(row, column)
            try:
                number_value = float(text) if text else None
            except ValueError:
                raise ValueError(f"{where} (subject {subject}): {column} = {text!r} is not a number.") from None
            values.append(None if number_value is None or math.isnan(number_value) else number_value)
        if any(v is not None for v in values):
            entry[modality] = values
    if len(entry) == 1 + (labels is not None):
        raise ValueError(f"{where} (subject {subject}): no modality at all; remove the row or fill a modality.")
    return entry


def stratified_split(
    labels: Sequence[int], val_fraction: float = 0.2, test_fraction: float = 0.2, num_meta: int = 6, seed: int = 0
) -> dict[str, list[int]]:
    """Seeded, label-stratified split of subject indices into training, validation, meta-validation and testing.

    Each class is shuffled and cut in the same proportions (rounded per class), so every split has the class mix
    of the whole set; ``num_meta`` subjects, spread over the classes, go to meta-validation.

    Raises:
        ValueError: an argument is out of range.
    """
    check_split_arguments(val_fraction, test_fraction, num_meta)
    rng = np.random.RandomState(seed)
    labels_arr = np.asarray(labels)
    classes = sorted(set(labels_arr.tolist()))
    split: dict[str, list[int]] = {s: [] for s in DATALIST_SECTIONS}
    meta_share = np.bincount([classes.index(c) for c in labels_arr.tolist()]) * num_meta / max(len(labels_arr), 1)
    meta_counts = np.floor(meta_share).astype(int)
    for i in np.argsort(-(meta_share - meta_counts))[: num_meta - int(meta_counts.sum())]:
        meta_counts[i] += 1
    for k, c in enumerate(classes):
        idx = rng.permutation(np.flatnonzero(labels_arr == c)).tolist()
        n = len(idx)
        n_test = int(round(test_fraction * n))
        n_val = int(round(val_fraction * n))
        n_meta = min(int(meta_counts[k]), max(n - n_test - n_val - 1, 0))
        split["testing"] += idx[:n_test]
        split["validation"] += idx[n_test : n_test + n_val]
        split["meta_validation"] += idx[n_test + n_val : n_test + n_val + n_meta]
        split["training"] += idx[n_test + n_val + n_meta :]
    return {k: sorted(v) for k, v in split.items()}


def tabular_stats(entries: Sequence[Mapping], tabular_columns: Mapping[str, Sequence[str]]) -> dict[str, dict]:
    """Mean and standard deviation of every tabular value over the given (training) entries, empty cells ignored.

    Raises:
        ValueError: a column has no value in the entries (it cannot be normalised).
    """
    stats: dict[str, dict] = {}
    for modality, columns in tabular_columns.items():
        rows = [e[modality] for e in entries if e.get(modality) is not None]
        means, stds = [], []
        for j, column in enumerate(columns):
            values = np.array([r[j] for r in rows if r[j] is not None], dtype=np.float64)
            if values.size == 0:
                raise ValueError(
                    f"column {column} ({modality}) has no value in the training split; it cannot be normalised."
                )
            means.append(float(values.mean()))
            stds.append(float(values.std()) if values.size > 1 else 1.0)
        stats[modality] = {"columns": list(columns), "mean": means, "std": stds}
    return stats


def write_subject_datalist(
    csv: str | os.PathLike,
    output: str | os.PathLike,
    image_columns: Mapping[str, str] = ADNI_IMAGE_COLUMNS,
    tabular_columns: Mapping[str, Sequence[str]] = ADNI_TABULAR_COLUMNS,
    labels: Sequence[str] = ADNI_LABELS,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    num_meta: int = 6,
    seed: int = 0,
    id_column: str = "subject",
    label_column: str = "diagnosis",
) -> Path:
    """Writes a datalist JSON for a subjects CSV: a seeded stratified split and training-split statistics.

    The JSON has ``"class_names"``, ``"tabular_stats"`` (from the training split only) and the sections
    ``"training"``, ``"validation"``, ``"meta_validation"`` and ``"testing"`` (held out: it chooses nothing).
    Image paths stay as in the CSV (relative to its folder, the bundle's ``dataset_dir``). It is written atomically.
    Empty cells are missing.

    Args:
        csv: the subjects CSV (one row per subject).
        output: the datalist JSON to write.
        image_columns: {modality: path column}; default the demo's {"mri": "mri", "pet": "pet"}.
        tabular_columns: {modality: [value columns]}; default the demo's clinical, csf and genetic columns.
        labels: class names in class-index order.
        val_fraction: stratified validation fraction (it chooses the checkpoint).
        test_fraction: stratified fraction of held-out testing subjects (the evaluation scores them).
        num_meta: subjects held out for meta-validation.
        seed: seed of the split.
        id_column: column of the subject id.
        label_column: column of the diagnosis.

    Returns:
        The path of the JSON.

    Raises:
        as :func:`read_subject_table`, :func:`stratified_split` and :func:`tabular_stats`.
    """
    entries = read_subject_table(csv, image_columns, tabular_columns, labels, id_column, label_column)
    split = stratified_split([e["label"] for e in entries], val_fraction, test_fraction, num_meta, seed)
    content: dict = {
        "class_names": list(labels),
        "tabular_stats": tabular_stats([entries[i] for i in split["training"]], tabular_columns),
    }
    content.update({name: [entries[i] for i in split[name]] for name in DATALIST_SECTIONS})
    out = Path(output)
    atomic_write_text(out, json.dumps(content, indent=2) + "\n")
    return out


def load_tabular_stats(datalist: str | os.PathLike) -> dict[str, dict]:
    """The ``"tabular_stats"`` of a datalist written by :func:`write_subject_datalist`.

    Raises:
        FileNotFoundError: the datalist does not exist.
        ValueError: it has no statistics.
    """
    path = Path(datalist)
    if not path.is_file():
        raise FileNotFoundError(
            f"datalist {path} not found; write one with `python -m metakd_ext datalist adni --csv FILE --output FILE`."
        )
    content = json.loads(path.read_text())
    if "tabular_stats" not in content:
        raise ValueError(f"datalist {path} has no 'tabular_stats'; write it with `python -m metakd_ext datalist adni`.")
    return dict(content["tabular_stats"])
