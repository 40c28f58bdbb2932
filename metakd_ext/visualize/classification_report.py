"""Files of a missing-modality classification evaluation: per-subject CSV, summary table (CSV, Markdown), heatmap."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from metakd_ext.metrics.classification import CLASSIFICATION_SCORES, classification_scores
from metakd_ext.metrics.subset_summary import MEAN_ROW
from metakd_ext.utils.io import atomic_write_text, csv_text
from metakd_ext.visualize.heatmap import subset_heatmap
from metakd_ext.visualize.subset_report import split_note, weights_line, write_weights

__all__ = [
    "PER_SUBJECT",
    "PREDICTIONS",
    "read_per_subject",
    "render_classification_report",
    "summarize_classification",
    "write_class_predictions",
    "write_classification_report",
    "write_per_subject",
]

PER_SUBJECT = "per_subject.csv"
PREDICTIONS = "predictions.csv"
_NAMES = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced acc.",
    "macro_f1": "macro F1",
    "macro_auc": "macro AUC",
}


def write_per_subject(eval_dir: str | os.PathLike, rows: Sequence[dict], class_names: Sequence[str]) -> None:
    """Writes ``per_subject.csv``: one row per subject and subset, with the datalist ``split`` it came from."""
    columns = ["subject", "split", "subset", "available", "label", *(f"prob_{c}" for c in class_names), "predicted"]
    atomic_write_text(Path(eval_dir) / PER_SUBJECT, csv_text(rows, columns))


def write_classification_report(
    eval_dir: str | os.PathLike,
    rows: Sequence[dict],
    class_names: Sequence[str],
    subsets: Sequence[str] | None = None,
    weights: dict[str, float] | None = None,
    weights_title: str = "Modality weights",
) -> str:
    """All files of a classification evaluation from its rows: ``per_subject.csv``, the weights and the summary
    (:func:`render_classification_report`); returns the Markdown. The report of
    :class:`~metakd_ext.engines.ClassificationSubsetEvaluator` (through
    :class:`~metakd_ext.handlers.SubsetReportWriter`)."""
    write_per_subject(eval_dir, rows, class_names)
    write_weights(eval_dir, weights)
    return render_classification_report(eval_dir, rows, class_names, subsets, weights, weights_title)


def write_class_predictions(
    output_dir: str | os.PathLike,
    rows: Sequence[dict],
    class_names: Sequence[str],
    subsets: Sequence[str] | None = None,
    weights: dict[str, float] | None = None,
    weights_title: str = "Modality weights",
) -> str:
    """Writes ``predictions.csv`` of an inference run (``subsets="available"``): ``subject, available,
    prob_<class>..., predicted``, atomically, so an interrupted run leaves an earlier file intact; returns a line
    for the log. ``subsets``, ``weights`` and ``weights_title`` are accepted as every report takes them, and not
    used."""
    path = Path(output_dir) / PREDICTIONS
    columns = ["subject", "available", *(f"prob_{c}" for c in class_names), "predicted"]
    atomic_write_text(path, csv_text(rows, columns))
    return f"predictions of {len(rows)} subjects written to {path.resolve()}"


def read_per_subject(eval_dir: str | os.PathLike) -> tuple[list[dict], list[str]]:
    """Rows of ``per_subject.csv`` and the class names of its probability columns.

    Raises:
        FileNotFoundError: the file is missing (run the evaluation first).
    """
    path = Path(eval_dir) / PER_SUBJECT
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; run the bundle's evaluate config first, or check --eval_dir.")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        classes = [c[len("prob_") :] for c in reader.fieldnames or [] if c.startswith("prob_")]
    return rows, classes


def summarize_classification(rows: Sequence[dict], class_names: Sequence[str], subsets: Sequence[str]) -> list[dict]:
    """One row per subset with the subjects scored and :data:`CLASSIFICATION_SCORES` over them, then the mean over
    subsets (:data:`~metakd_ext.metrics.MEAN_ROW`). Rows without a true label are not scored."""
    table: list[dict] = []
    for subset in subsets:
        group = [r for r in rows if r["subset"] == subset and r["label"] in class_names]
        if not group:
            continue
        labels = np.array([list(class_names).index(r["label"]) for r in group])
        probs = np.array([[float(r[f"prob_{c}"]) for c in class_names] for r in group])
        table.append({"subset": subset, "subjects": len(group), **classification_scores(labels, probs)})
    if table:
        last: dict = {"subset": MEAN_ROW, "subjects": min(int(t["subjects"]) for t in table)}
        last.update({s: float(np.nanmean([t[s] for t in table])) for s in CLASSIFICATION_SCORES})
        table.append(last)
    return table


def render_classification_report(
    eval_dir: str | os.PathLike,
    rows: Sequence[dict],
    class_names: Sequence[str],
    subsets: Sequence[str] | None = None,
    weights: dict[str, float] | None = None,
    weights_title: str = "Modality weights",
) -> str:
    """Writes ``summary.csv``, ``summary.md`` and ``summary.png`` of per-subject rows; returns the Markdown.

    Args:
        eval_dir: the folder to write to.
        rows: one per subject and subset, as the evaluator gives them or :func:`read_per_subject` reads them.
        class_names: the classes, in the order of the probability columns.
        subsets: table order of the subsets; default the order in which they first occur in ``rows``.
        weights: the model's modality weights (or LCKD's teachers, 1 a teacher) to name in the summary.
        weights_title: what they are, the start of their line.
    """
    out = Path(eval_dir)
    classes = list(class_names)
    order = list(subsets) if subsets is not None else list(dict.fromkeys(r["subset"] for r in rows))
    table = summarize_classification(rows, classes, order)
    atomic_write_text(out / "summary.csv", csv_text(table, ["subset", "subjects", *CLASSIFICATION_SCORES]))
    subjects = {r["subject"] for r in rows}
    counts = {c: len({r["subject"] for r in rows if r["label"] == c}) for c in classes}
    lines = [
        "# Missing-modality evaluation",
        "",
        f"{len(subjects)} subjects ({', '.join(f'{c} {n}' for c, n in counts.items())}), {len(table) - 1} modality "
        "subsets; each subset is scored on the subjects that have all of its modalities. Scores in %; macro AUC "
        "is one-vs-rest. The last row is the mean over subsets.",
        "",
        split_note(rows),
        "",
    ]
    if weights:
        lines += [weights_line(weights, weights_title), ""]
    lines += [
        "| subset | subjects | " + " | ".join(_NAMES[s] for s in CLASSIFICATION_SCORES) + " |",
        "| --- | --- |" + " --- |" * len(CLASSIFICATION_SCORES),
    ]
    for t in table:
        name = f"**{t['subset']}**" if t["subset"] == MEAN_ROW else t["subset"]
        cells = ["n/a" if math.isnan(t[s]) else f"{100 * t[s]:.1f}" for s in CLASSIFICATION_SCORES]
        lines.append(f"| {name} | {t['subjects']} | " + " | ".join(cells) + " |")
    markdown = "\n".join(lines) + "\n"
    atomic_write_text(out / "summary.md", markdown)
    if table:
        subset_heatmap(
            out / "summary.png",
            [t["subset"] for t in table],
            [_NAMES[s] for s in CLASSIFICATION_SCORES],
            np.nan_to_num(np.array([[100 * t[s] for s in CLASSIFICATION_SCORES] for t in table])),
            "Classification by available modalities",
            "score (%)",
        )
    return markdown
