"""Aggregation of per-case, per-subset scores into the table of the missing-modality literature."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["SCORE_COLUMNS", "MEAN_ROW", "summarize_subsets"]

SCORE_COLUMNS = ("dice_et", "dice_tc", "dice_wt", "hd95_et", "hd95_tc", "hd95_wt", "dice_et_post", "hd95_et_post")
"""Score columns of a per-case row."""

MEAN_ROW = "mean over subsets"
"""Name of the last summary row."""


def summarize_subsets(rows: Iterable[dict], subsets: Sequence[str]) -> list[dict]:
    """Mean and standard deviation of every score per subset, then the mean over subsets.

    Args:
        rows: per-case rows with ``"subset"`` and the :data:`SCORE_COLUMNS`.
        subsets: the subsets in table order; subsets without rows are left out.

    Returns:
        One dict per subset with ``"subset"``, ``"cases"``, ``"<score>_mean"`` and ``"<score>_std"``, and a last
        row :data:`MEAN_ROW` with the mean of the subset means (its ``_std`` is the spread across subsets).
    """
    by_subset: dict[str, list[dict]] = {}
    for row in rows:
        by_subset.setdefault(str(row["subset"]), []).append(row)
    table = []
    for subset in subsets:
        group = by_subset.get(subset)
        if not group:
            continue
        entry: dict = {"subset": subset, "cases": len(group)}
        for col in SCORE_COLUMNS:
            values = np.array([float(r[col]) for r in group], dtype=np.float64)
            entry[f"{col}_mean"] = float(values.mean())
            entry[f"{col}_std"] = float(values.std(ddof=0))
        table.append(entry)
    if table:
        last: dict = {"subset": MEAN_ROW, "cases": int(min(t["cases"] for t in table))}
        for col in SCORE_COLUMNS:
            means = np.array([t[f"{col}_mean"] for t in table])
            last[f"{col}_mean"] = float(means.mean())
            last[f"{col}_std"] = float(means.std(ddof=0)) if len(means) > 1 else math.nan
        table.append(last)
    return table
