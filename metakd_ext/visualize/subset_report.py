"""Files of a missing-modality evaluation: per-case CSV, summary table (CSV, Markdown) and heatmap."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from metakd_ext.data.datalist import SECTION_BIAS
from metakd_ext.metrics.brats_regions import EMPTY_HD95
from metakd_ext.metrics.subset_summary import MEAN_ROW, SCORE_COLUMNS, summarize_subsets
from metakd_ext.utils.io import atomic_write_text, csv_text
from metakd_ext.visualize.heatmap import subset_heatmap

__all__ = [
    "PER_CASE",
    "WEIGHTS",
    "read_per_case",
    "read_weights",
    "weights_line",
    "render_report",
    "split_note",
    "write_per_case",
    "write_segmentation_report",
    "write_weights",
]

PER_CASE = "per_case.csv"
WEIGHTS = "modality_weights.json"
_HEATMAP_COLUMNS = (("dice_et", "ET"), ("dice_tc", "TC"), ("dice_wt", "WT"), ("dice_et_post", "ET post"))


def write_per_case(eval_dir: str | os.PathLike, rows: Sequence[dict]) -> None:
    """Writes ``per_case.csv``: one row per case and subset, with the datalist ``split`` it came from."""
    atomic_write_text(
        Path(eval_dir) / PER_CASE,
        csv_text(rows, ["case", "split", "subset", "available", "label_et_voxels", *SCORE_COLUMNS]),
    )


def write_weights(eval_dir: str | os.PathLike, weights: dict[str, float] | None) -> None:
    """Writes the learned modality weights beside an evaluation (nothing when None)."""
    if weights is not None:
        atomic_write_text(Path(eval_dir) / WEIGHTS, json.dumps(weights, indent=2) + "\n")


def write_segmentation_report(
    eval_dir: str | os.PathLike,
    rows: Sequence[dict],
    subsets: Sequence[str] | None = None,
    weights: dict[str, float] | None = None,
    et_min_voxels: int | None = None,
    weights_title: str = "Modality weights",
) -> str:
    """All files of a segmentation evaluation from its rows: ``per_case.csv``, the weights and the summary
    (:func:`render_report`); returns the Markdown. The report of
    :class:`~metakd_ext.engines.SegmentationSubsetEvaluator` (through :class:`~metakd_ext.handlers.SubsetReportWriter`).
    """
    write_per_case(eval_dir, rows)
    write_weights(eval_dir, weights)
    return render_report(eval_dir, rows, subsets, weights, et_min_voxels, weights_title)


def read_per_case(eval_dir: str | os.PathLike) -> list[dict]:
    """The rows :func:`write_per_case` wrote.

    Raises:
        FileNotFoundError: ``per_case.csv`` is missing (run the evaluation first).
    """
    path = Path(eval_dir) / PER_CASE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; run the bundle's evaluate config first, or check --eval_dir.")
    with path.open() as f:
        return list(csv.DictReader(f))


def weights_line(weights: dict[str, float], title: str = "Modality weights") -> str:
    """``"<title>: flair 0.2500, t1 0.2500, ..."``, the summary's line of a model's modality weights or teachers."""
    return f"{title}: " + ", ".join(f"{k} {v:.4f}" for k, v in weights.items())


def read_weights(eval_dir: str | os.PathLike) -> dict[str, float] | None:
    """The learned modality weights saved beside an evaluation, or None."""
    path = Path(eval_dir) / WEIGHTS
    return json.loads(path.read_text()) if path.is_file() else None


def split_note(rows: Sequence[dict]) -> str:
    """One sentence on the datalist split the rows were scored on (their ``split`` column), and whether those cases
    chose anything (:data:`~metakd_ext.data.SECTION_BIAS`), for the summary of an evaluation."""
    splits = sorted({str(r.get("split") or "") for r in rows})
    if splits == ["testing"]:
        return "Scored on the held-out `testing` split: these cases chose nothing (neither checkpoint nor weights)."
    biased = [s for s in splits if s in SECTION_BIAS]
    if biased:
        what = "; ".join(f"`{s}` {SECTION_BIAS[s]}" for s in biased)
        return (
            f"Not held out: scored on {', '.join(f'`{s}`' for s in splits)}, and the cases of {what}, so these "
            "scores are biased upwards. Write the datalist with a test fraction and score its `testing` split."
        )
    return f"Scored split: {', '.join(f'`{s}`' for s in splits if s) or 'not recorded'}."


def _pct(mean: float, std: float) -> str:
    return f"{100 * mean:.2f} ± {100 * std:.2f}" if not np.isnan(std) else f"{100 * mean:.2f}"


def _mm(mean: float, std: float) -> str:
    return f"{mean:.2f} ± {std:.2f}" if not np.isnan(std) else f"{mean:.2f}"


def render_report(
    eval_dir: str | os.PathLike,
    rows: Sequence[dict],
    subsets: Sequence[str] | None = None,
    weights: dict[str, float] | None = None,
    et_min_voxels: int | None = None,
    weights_title: str = "Modality weights",
) -> str:
    """Writes ``summary.csv``, ``summary.md`` and ``summary.png`` of per-case rows; returns the Markdown.

    Args:
        eval_dir: the folder to write to.
        rows: one per case and subset, as the evaluator gives them or :func:`read_per_case` reads them.
        subsets: table order of the subsets; default the order in which they first occur in ``rows``.
        weights: the model's modality weights (or LCKD's teachers, 1 a teacher) to name in the summary.
        weights_title: what they are, the start of their line.
        et_min_voxels: the ET post-processing threshold, for the note under the table.
    """
    out = Path(eval_dir)
    order = list(subsets) if subsets is not None else list(dict.fromkeys(r["subset"] for r in rows))
    table = summarize_subsets(rows, order)
    columns = ["subset", "cases"] + [f"{c}_{s}" for c in SCORE_COLUMNS for s in ("mean", "std")]
    atomic_write_text(out / "summary.csv", csv_text(table, columns))
    cases = sorted({r["case"] for r in rows})
    no_et = sorted({r["case"] for r in rows if int(r["label_et_voxels"]) == 0})
    lines = [
        "# Missing-modality evaluation",
        "",
        f"{len(cases)} cases, {len(table) - 1} modality subsets. Dice in %, HD95 in mm, mean ± standard deviation "
        "over cases; the last row is the mean over subsets (± the spread across subsets).",
        "",
        split_note(rows),
        "",
    ]
    if weights:
        lines += [weights_line(weights, weights_title), ""]
    lines += [
        "| subset | cases | Dice ET | Dice TC | Dice WT | HD95 ET | HD95 TC | HD95 WT | Dice ET post | HD95 ET post |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in table:
        name = f"**{t['subset']}**" if t["subset"] == MEAN_ROW else t["subset"]
        dice = [_pct(t[f"{c}_mean"], t[f"{c}_std"]) for c in ("dice_et", "dice_tc", "dice_wt")]
        hd = [_mm(t[f"{c}_mean"], t[f"{c}_std"]) for c in ("hd95_et", "hd95_tc", "hd95_wt")]
        post = [_pct(t["dice_et_post_mean"], t["dice_et_post_std"]), _mm(t["hd95_et_post_mean"], t["hd95_et_post_std"])]
        lines.append(f"| {name} | {t['cases']} | " + " | ".join(dice + hd + post) + " |")
    threshold = f"{et_min_voxels} voxels" if et_min_voxels is not None else "`et_min_voxels`"
    lines += [
        "",
        "Regions are scored as the BraTS evaluation scores a written label map: the network's channels become the "
        "label map that inference writes, and WT (1, 2, ET), TC (1, ET) and ET are derived from it. HD95 is MONAI's "
        "`compute_hausdorff_distance(percentile=95)`: the larger of the two directed 95th percentiles of the "
        "surface distances, in mm from each image's voxel spacing.",
        f"ET post: a predicted ET smaller than {threshold} counts as none (its voxels become label 1, so they stay "
        "in TC).",
        f"{len(no_et)} of {len(cases)} cases have no ET in the ground truth"
        + (f" ({', '.join(no_et)})" if no_et else "")
        + "; as in the BraTS challenge, such a case scores ET Dice 1 and HD95 0 where the prediction has no ET, "
        f"else Dice 0 and HD95 {EMPTY_HD95}. An empty region in exactly one of prediction and ground truth "
        f"scores HD95 {EMPTY_HD95} for every region.",
    ]
    markdown = "\n".join(lines) + "\n"
    atomic_write_text(out / "summary.md", markdown)
    values = np.array([[100 * t[f"{c}_mean"] for c, _ in _HEATMAP_COLUMNS] for t in table])
    subset_heatmap(
        out / "summary.png",
        [t["subset"] for t in table],
        [name for _, name in _HEATMAP_COLUMNS],
        values,
        "Dice by available modalities",
        "mean Dice (%)",
    )
    return markdown
