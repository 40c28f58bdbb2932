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
from metakd_ext.visualize.training_logs import LOSS_COLUMNS

__all__ = ["COMPARISON", "TEST_COLUMNS", "comparison_table", "render_comparison"]

COMPARISON = "comparison"
"""Stem of the files: ``comparison.csv``, ``comparison.md``, ``comparison.png``, ``comparison_tests.csv``,
``comparison_losses.csv``."""

TEST_COLUMNS = ["metric", "reference", "method", "cases", "seeds", "mean_difference", "better", "worse", "p_value"]
"""Columns of ``comparison_tests.csv`` (see :func:`~metakd_ext.metrics.paired_case_test`)."""


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
    weights: Mapping[str, Sequence[tuple[str, Mapping[str, float] | None, tuple[int, Mapping[str, float]] | None]]]
    | None = None,
    note: str = "",
    tests: Sequence[Mapping] = (),
    losses: Mapping[str, Sequence[tuple[str, Mapping[str, float] | None]]] | None = None,
) -> str:
    """Writes ``comparison.csv``, ``comparison.md``, ``comparison.png``, with ``tests`` ``comparison_tests.csv``
    and with ``losses`` ``comparison_losses.csv``; returns the Markdown.

    Args:
        output_dir: the folder to write to.
        tables: method -> one summary table per seed (see :func:`comparison_table`).
        metrics: metric column -> its name in the tables (e.g. ``{"dice_et": "Dice ET"}``), in table order.
        weights: method -> per run: its label (e.g. ``"seed 0"``), the learned weights (MetaKD) or teachers (LCKD: 1
            a teacher) of the scored model or None, and the first weights its training logged with their iteration
            (:func:`~metakd_ext.visualize.training_logs.first_logged`) or None.
        note: a line under the title (what was compared, on which cases).
        tests: the paired tests of the reference method against the others, rows of :data:`TEST_COLUMNS` and
            ``per_seed`` (:func:`~metakd_ext.metrics.paired_case_test`).
        losses: method -> per run (its label) the task loss and distillation term at the start and the end of its
            training (:func:`~metakd_ext.visualize.training_logs.training_loss_summary`), or None where the run
            did not log them.
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
    if tests:
        lines += _test_lines(tests)
        atomic_write_text(out / f"{COMPARISON}_tests.csv", csv_text([dict(t) for t in tests], TEST_COLUMNS))
    if weights:
        lines += [
            "## Learned weights (MetaKD) and teachers (LCKD: 1 a teacher)",
            "",
            "The scored model's; in brackets the first weights its training logged (MetaKD starts from random "
            "logits, seeded): how far the meta steps moved them.",
            "",
        ]
        for method, per_run in weights.items():
            for label, w, start in per_run:
                if w:
                    line = f"- {method}, {label}: " + ", ".join(f"{k} {v:.4f}" for k, v in w.items())
                    if start:
                        line += f" (iteration {start[0]}: " + ", ".join(f"{k} {v:.4f}" for k, v in start[1].items())
                        line += ")"
                    lines.append(line)
        lines.append("")
    if losses:
        lines += _loss_lines(losses)
        rows = [{"method": m, "run": label, **(v or {})} for m, per_run in losses.items() for label, v in per_run]
        atomic_write_text(out / f"{COMPARISON}_losses.csv", csv_text(rows, ["method", "run", *LOSS_COLUMNS]))
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


def _test_lines(tests: Sequence[Mapping]) -> list[str]:
    """The Markdown section of the paired tests."""
    reference = tests[0]["reference"]
    single = min(int(t["seeds"]) for t in tests) < 2
    lines = [
        f"## Paired test: {reference} against each method",
        "",
        "Per held-out case: its score averaged over the modality subsets it was scored on, then over the seeds; the "
        f"difference {reference} − method in points over the cases (per seed: the mean difference of each seed), "
        f"the cases where {reference} is ahead / behind, and the two-sided Wilcoxon signed-rank p over the cases. "
        f"p < 0.05 says a difference is unlikely to be chance; with n cases p cannot go below 2 / 2^n.",
        "",
        *(
            [
                "**One seed**: this compares two trained models, not two methods; how much a model moves with the "
                "seed is not in p, and another seed can reverse a difference. Compare over several seeds.",
                "",
            ]
            if single
            else []
        ),
        "| metric | method | cases | difference | per seed | ahead / behind | p |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in tests:
        seeds = ", ".join(f"{100 * d:+.2f}" for d in t["per_seed"])
        p = "n/a" if math.isnan(t["p_value"]) else f"{t['p_value']:.3f}"
        lines.append(
            f"| {t['metric']} | {t['method']} | {t['cases']} | {100 * t['mean_difference']:+.2f} | {seeds} "
            f"| {t['better']} / {t['worse']} | {p} |"
        )
    return [*lines, ""]


def _loss_lines(losses: Mapping[str, Sequence[tuple[str, Mapping[str, float] | None]]]) -> list[str]:
    """The Markdown section of the losses during training: per method, the mean over its runs that logged them."""
    lines = [
        "## Losses during training",
        "",
        "Per method, the mean over its runs of the task loss and of the distillation term (`train/kd_loss`: over "
        "teacher → student pairs, the pair's weight times the distance between their features where the network "
        "distils: the segmentation U-Net's `kd_scales` (the bottleneck by default; a mean over the scales), the "
        "classifiers' modality vectors; plain or standardised by `kd_normalize`; before `kd_weight`), each "
        "over the first and the last tenth of a run's iterations. `nokd` logs the term without training on it: how "
        "far apart the modalities' features stay without distillation.",
        "",
        "| method | runs | task loss, first tenth | task loss, last tenth | KD term, first tenth "
        "| KD term, last tenth |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for method, per_run in losses.items():
        logged = [v for _, v in per_run if v]
        if not logged:
            lines.append(f"| {method} | 0 of {len(per_run)} | not logged | not logged | not logged | not logged |")
            continue
        texts = []
        for column in LOSS_COLUMNS:
            values = [v[column] for v in logged if not math.isnan(v[column])]
            texts.append(f"{np.mean(values):.4g}" if values else "n/a")
        lines.append(f"| {method} | {len(logged)} of {len(per_run)} | " + " | ".join(texts) + " |")
    return [*lines, ""]
