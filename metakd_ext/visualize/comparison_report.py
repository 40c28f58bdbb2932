"""Files of a method comparison: methods side by side over the modality subsets, mean ± std over seeds."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from metakd_ext.metrics.subset_summary import MEAN_ROW
from metakd_ext.utils.io import atomic_write_text, csv_text
from metakd_ext.visualize.heatmap import subset_heatmap

__all__ = ["COMPARISON", "comparison_table", "render_comparison"]

COMPARISON = "comparison"
"""Stem of the files: ``comparison.csv``, ``comparison.md``, ``comparison.png``."""


def comparison_table(
    tables: Mapping[str, Sequence[Mapping[str, Sequence[dict]]]], metrics: Sequence[str]
) -> tuple[list[str], list[dict]]:
    """Mean and standard deviation over seeds of each method's per-subset scores.

    Args:
        tables: method -> one summary table per seed; a summary table maps a metric to its rows
            ``{"subset", "value"}`` (the subsets in table order, the mean over subsets last).
        metrics: the metrics to compare.

    Returns:
        The subsets in table order and the rows ``{"metric", "subset", "method", "mean", "std", "seeds"}``.
    """
    subsets: list[str] = []
    rows = []
    for method, seeds in tables.items():
        for metric in metrics:
            values: dict[str, list[float]] = {}
            for table in seeds:
                for row in table[metric]:
                    values.setdefault(row["subset"], []).append(float(row["value"]))
            for subset, vals in values.items():
                if subset not in subsets:
                    subsets.append(subset)
                arr = np.array(vals, dtype=np.float64)
                std = float(arr.std(ddof=1)) if arr.size > 1 else math.nan
                rows.append({"metric": metric, "subset": subset, "method": method, "mean": float(arr.mean())})
                rows[-1].update({"std": std, "seeds": int(arr.size)})
    order = [s for s in subsets if s != MEAN_ROW] + ([MEAN_ROW] if MEAN_ROW in subsets else [])
    return order, rows


def render_comparison(
    output_dir: str | os.PathLike,
    tables: Mapping[str, Sequence[Mapping[str, Sequence[dict]]]],
    metrics: Mapping[str, str],
    weights: Mapping[str, Sequence[Mapping[str, float] | None]] | None = None,
    note: str = "",
) -> str:
    """Writes ``comparison.csv``, ``comparison.md`` and ``comparison.png``; returns the Markdown.

    Args:
        output_dir: the folder to write to.
        tables: method -> one summary table per seed (see :func:`comparison_table`).
        metrics: metric column -> its name in the tables (e.g. ``{"dice_et": "Dice ET"}``), in table order.
        weights: method -> per seed the learned weights (MetaKD) or teachers (LCKD: 1 a teacher), or None.
        note: a line under the title (what was compared, on which cases).
    """
    out = Path(output_dir)
    methods = list(tables)
    order, rows = comparison_table(tables, list(metrics))
    atomic_write_text(out / f"{COMPARISON}.csv", csv_text(rows, ["metric", "subset", "method", "mean", "std", "seeds"]))
    cell = {(r["metric"], r["subset"], r["method"]): r for r in rows}
    seeds = sorted({int(r["seeds"]) for r in rows})
    lines = ["# Method comparison", ""]
    if note:
        lines += [note, ""]
    lines += [
        f"Scores in %, mean ± standard deviation over {'/'.join(map(str, seeds))} seeds (the seed of initialisation, "
        "data order and modality dropping); the best mean of each row in bold.",
        "",
    ]
    for metric, title in metrics.items():
        lines += [f"## {title}", "", "| subset | " + " | ".join(methods) + " |", "| --- |" + " --- |" * len(methods)]
        for subset in order:
            found = [cell.get((metric, subset, m)) for m in methods]
            best = max((r["mean"] for r in found if r is not None), default=math.nan)
            texts = []
            for r in found:
                if r is None:
                    texts.append("n/a")
                    continue
                text = f"{100 * r['mean']:.2f}" + ("" if math.isnan(r["std"]) else f" ± {100 * r['std']:.2f}")
                texts.append(f"**{text}**" if r["mean"] == best else text)
            name = f"**{subset}**" if subset == MEAN_ROW else subset
            lines.append(f"| {name} | " + " | ".join(texts) + " |")
        lines.append("")
    if weights:
        lines += ["## Learned weights (MetaKD) and teachers (LCKD: 1 a teacher)", ""]
        for method, per_seed in weights.items():
            for s, w in enumerate(per_seed):
                if w:
                    lines.append(f"- {method}, seed {s}: " + ", ".join(f"{k} {v:.4f}" for k, v in w.items()))
        lines.append("")
    markdown = "\n".join(lines)
    atomic_write_text(out / f"{COMPARISON}.md", markdown)
    columns = [f"{title}\n{m}" for title in metrics.values() for m in methods]
    values = np.array(
        [
            [100 * cell[(k, s, m)]["mean"] if (k, s, m) in cell else np.nan for k in metrics for m in methods]
            for s in order
        ]
    )
    subset_heatmap(
        out / f"{COMPARISON}.png",
        order,
        columns,
        np.nan_to_num(values),
        "Methods by available modalities",
        "mean score (%)",
    )
    return markdown
