"""One command that trains and evaluates the methods of a bundle side by side, and writes one table."""

from __future__ import annotations

import csv
import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from metakd_ext.data.datalist import cross_validation_datalists
from metakd_ext.handlers.modality_weights import WEIGHT_TAG
from metakd_ext.metrics.paired_test import paired_case_test
from metakd_ext.metrics.subset_summary import summarize_subsets
from metakd_ext.utils.io import atomic_write_text
from metakd_ext.visualize.classification_report import PER_SUBJECT, read_per_subject, summarize_classification
from metakd_ext.visualize.comparison_report import COMPARISON, render_comparison
from metakd_ext.visualize.subset_report import PER_CASE, read_per_case, read_weights
from metakd_ext.visualize.training_logs import first_logged, training_loss_summary

__all__ = [
    "METHODS",
    "PAIRED_METRICS",
    "TASK_METRICS",
    "case_scores",
    "compare_methods",
    "summary_tables",
    "tabulate_runs",
]

logger = logging.getLogger("metakd")

METHODS = ("metakd", "uniform", "nokd", "lckd")
"""The method configs of each bundle (``configs/<method>.json``, merged over ``train.json``)."""

TASK_METRICS = {
    PER_CASE: {"dice_et": "Dice ET", "dice_tc": "Dice TC", "dice_wt": "Dice WT"},
    PER_SUBJECT: {"accuracy": "accuracy", "macro_auc": "macro AUC"},
}
"""The compared metrics by the per-case file an evaluation writes (segmentation, classification)."""


PAIRED_METRICS = {PER_CASE: ("dice_et", "dice_tc", "dice_wt"), PER_SUBJECT: ("accuracy",)}
"""The metrics with a value per case, which the paired test compares (an AUC has none)."""


def _evaluations(eval_dirs: str | os.PathLike | Sequence[str | os.PathLike]) -> tuple[str, list[dict], list[str], list]:
    """The per-case file kind, the rows pooled over the evaluations, the subsets in table order and the classes.

    Raises:
        FileNotFoundError: a folder holds no evaluation.
    """
    folders = [Path(eval_dirs)] if isinstance(eval_dirs, (str, os.PathLike)) else [Path(d) for d in eval_dirs]
    with (folders[0] / "summary.csv").open(newline="") as f:
        subsets = [row["subset"] for row in csv.DictReader(f)][:-1]
    if (folders[0] / PER_SUBJECT).is_file():
        rows: list[dict] = []
        classes: list[str] = []
        for folder in folders:
            found, classes = read_per_subject(folder)
            rows += found
        return PER_SUBJECT, rows, subsets, classes
    return PER_CASE, [r for folder in folders for r in read_per_case(folder)], subsets, []


def summary_tables(eval_dirs: str | os.PathLike | Sequence[str | os.PathLike]) -> dict[str, list[dict]]:
    """Per metric of :data:`TASK_METRICS`, the rows ``{"subset", "value"}`` of one evaluation, or of the folds of
    one seed pooled (the subsets in the order of the first ``summary.csv``, the mean over subsets last), computed
    from the per-case or per-subject files.

    Raises:
        FileNotFoundError: a folder holds no evaluation.
    """
    kind, rows, subsets, classes = _evaluations(eval_dirs)
    if kind == PER_SUBJECT:
        table = summarize_classification(rows, classes, subsets)
        return {m: [{"subset": t["subset"], "value": t[m]} for t in table] for m in TASK_METRICS[PER_SUBJECT]}
    table = summarize_subsets(rows, subsets)
    return {m: [{"subset": t["subset"], "value": t[f"{m}_mean"]} for t in table] for m in TASK_METRICS[PER_CASE]}


def case_scores(eval_dirs: str | os.PathLike | Sequence[str | os.PathLike]) -> dict[str, dict[str, float]]:
    """Per metric of :data:`PAIRED_METRICS`, each case's score averaged over the subsets it was scored on: Dice
    per region, or the fraction of subsets that classified the subject right (``accuracy``).

    Raises:
        FileNotFoundError: a folder holds no evaluation.
    """
    kind, rows, subsets, _ = _evaluations(eval_dirs)
    values: dict[str, dict[str, list[float]]] = {m: {} for m in PAIRED_METRICS[kind]}
    for row in rows:
        if row["subset"] not in subsets:
            continue
        if kind == PER_SUBJECT:
            if row["label"]:
                values["accuracy"].setdefault(row["subject"], []).append(float(row["predicted"] == row["label"]))
            continue
        for metric in PAIRED_METRICS[kind]:
            values[metric].setdefault(row["case"], []).append(float(row[metric]))
    return {m: {case: float(np.mean(v)) for case, v in by_case.items()} for m, by_case in values.items()}


def _run(command: list[str], log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as f:
        result = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        tail = log.read_text().splitlines()[-15:]
        raise RuntimeError(
            f"{' '.join(command[:6])} ... failed (exit {result.returncode}); log {log}:\n" + "\n".join(tail)
        )


def compare_methods(
    bundle_root: str,
    dataset_dir: str,
    output_dir: str,
    methods: Sequence[str] = METHODS,
    seeds: Sequence[int] = (0, 1, 2),
    folds: int = 1,
    configs: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
    rerun: bool = False,
) -> str:
    """Trains every method with every seed (on every fold) through the bundle runner, evaluates each model on
    every modality subset of its held-out cases, and writes the side-by-side table (``comparison.csv``, ``.md``,
    ``.png``) and a paired test of the first method against each other one (``comparison_tests.csv``).

    Each run is ``python -m monai.bundle run training`` with ``train.json``, ``configs`` and ``<method>.json``
    (``--random_seed`` the seed: initialisation, data order, modality dropping), then ``run evaluating`` with
    ``evaluate.json`` merged last; its models, logs and evaluation go to ``output_dir/<method>/seed<seed>/``
    (``output_dir/<method>/fold<k>/seed<seed>/`` with folds). Finished runs (an ``eval/summary.csv``) are kept, so
    an interrupted comparison continues where it stopped. The report also gives each method's task loss and
    distillation term at the start and the end of training, from the runs' TensorBoard logs
    (:func:`~metakd_ext.visualize.training_logs.training_loss_summary`).

    With ``folds`` > 1 (few cases, e.g. the 8 real BraTS cases), the datalist's labelled cases are split into
    that many folds (:func:`~metakd_ext.data.cross_validation_datalists`, written to ``output_dir/folds/``); each
    fold's model scores its own held-out cases, so with all folds every case is scored once per seed, by a model
    that never saw it. The table pools the folds of a seed; mean ± std are over seeds.

    Args:
        bundle_root: the bundle (``bundles/metakd_brats`` or ``bundles/metakd_adni``).
        dataset_dir: its data (with the datalist).
        output_dir: where the runs and the table go.
        methods: method configs of the bundle, ``configs/<method>.json`` (default all four); the first is the
            reference of the paired test.
        seeds: the seeds; each method is trained once per seed (and fold).
        folds: 1 to use the datalist's split; more for cross-validation over its labelled cases.
        configs: further configs merged after ``train.json`` (e.g. ``["demo.json"]``), names in ``configs/``.
        overrides: top-level keys for every run, e.g. ``{"epochs": 20, "teacher_election_interval": 100}``; a
            ``datalist`` here is the one the folds are made from (default ``dataset_dir/datalist.json``).
        rerun: train and evaluate again even where a run finished.

    Returns:
        The path of ``comparison.md``.

    Raises:
        FileNotFoundError: the bundle, a config or the datalist does not exist.
        ValueError: ``folds`` is out of range.
        RuntimeError: a run failed; the message names its log.
    """
    root = Path(bundle_root).resolve()
    names = ["train.json", *configs]
    for name in [*names, *(f"{m}.json" for m in methods), "evaluate.json", "logging.conf"]:
        if not (root / "configs" / name).is_file():
            raise FileNotFoundError(f"{root / 'configs' / name} not found; give a bundle folder and its config names.")
    out = Path(output_dir).resolve()
    data = Path(dataset_dir).resolve()
    settings = dict(overrides or {})
    fold_datalists: list[Path | None] = [None]
    if folds > 1:
        source = Path(settings.pop("datalist", data / "datalist.json"))
        fold_datalists = []
        for k, content in enumerate(cross_validation_datalists(source, folds)):
            path = out / "folds" / f"fold{k}.json"
            atomic_write_text(path, json.dumps(content, indent=2))
            fold_datalists.append(path)
    extra = [item for k, v in settings.items() for item in (f"--{k}", str(v))]
    runs: dict[str, dict[int, list[Path]]] = {}
    for method in methods:
        for seed in seeds:
            for k, datalist in enumerate(fold_datalists):
                run = out / method / (f"fold{k}" if datalist else "") / f"seed{seed}"
                split = ["--datalist", str(datalist)] if datalist else []
                _train_and_evaluate(root, names, method, seed, data, [*split, *extra], run, rerun)
                runs.setdefault(method, {}).setdefault(seed, []).append(run)
    split_text = f"{folds}-fold cross-validation over its labelled cases" if folds > 1 else "its held-out split"
    note = (
        f"Bundle {root.name}, data {data.name}, configs {', '.join(names)} + the method's; "
        f"seeds {', '.join(map(str, seeds))}; each model scored on {split_text}."
    )
    return _render_runs(runs, out, note)


def tabulate_runs(runs: Mapping[str, str | os.PathLike], output_dir: str, seeds: Sequence[int] | None = None) -> str:
    """Writes one comparison (the table, weights, losses and paired tests of :func:`compare_methods`) of methods
    whose runs finished in different comparisons, without training: e.g. the same method in two network topologies,
    whose overrides need two comparison folders. The runs pair up by case and seed as in one comparison, so they
    must score the same cases (e.g. the folds of one datalist).

    Args:
        runs: label -> a method's folder of a comparison (``<compare output_dir>/<method>``), holding
            ``seed<s>/`` or ``fold<k>/seed<s>/`` runs with a finished evaluation; the first is the reference of the
            paired tests.
        output_dir: where ``comparison.md`` and its files go.
        seeds: the seeds to compare (default: those every method has).

    Returns:
        The path of ``comparison.md``.

    Raises:
        FileNotFoundError: a folder or one of its runs (of a compared seed) has no finished evaluation.
        ValueError: fewer than two methods, no seed that every method has, or the methods scored other cases.
    """
    if len(runs) < 2:
        raise ValueError(f"give two or more methods to compare, got {list(runs)}.")
    parents: dict[str, list[Path]] = {}
    found: dict[str, set[int]] = {}
    for label, folder in runs.items():
        root = Path(folder).resolve()
        parents[label] = sorted(root.glob("fold*"), key=lambda f: f.name) or [root]
        found[label] = {
            int(r.name.removeprefix("seed")) for p in parents[label] for r in p.glob("seed*") if r.name[4:].isdigit()
        }
        if not found[label]:
            raise FileNotFoundError(
                f"{root} holds no seed<s>/ or fold<k>/seed<s>/ run; give a method's folder of a comparison."
            )
    chosen = sorted(set.intersection(*found.values())) if seeds is None else list(seeds)
    if not chosen:
        raise ValueError(
            f"no seed is in every method's folder: {', '.join(f'{k} {sorted(v)}' for k, v in found.items())}."
        )
    selected: dict[str, dict[int, list[Path]]] = {}
    for label in runs:
        for seed in chosen:
            selected.setdefault(label, {})[seed] = [p / f"seed{seed}" for p in parents[label]]
            for run in selected[label][seed]:
                if not (run / "eval" / "summary.csv").is_file():
                    raise FileNotFoundError(
                        f"{run / 'eval' / 'summary.csv'} not found: seed {seed} of {label!r} has no finished run."
                    )
    note = "Runs of " + "; ".join(f"{label}: {Path(folder).resolve()}" for label, folder in runs.items())
    note += f"; seeds {', '.join(map(str, chosen))}; the folds of a seed pooled."
    out = Path(output_dir).resolve()
    return _render_runs(selected, out, note)


def _render_runs(runs: Mapping[str, Mapping[int, Sequence[Path]]], out: Path, note: str) -> str:
    """Writes the comparison of finished runs (method -> seed -> its run folders, one per fold) to ``out``: the
    table pooling each seed's folds, the weights, the losses and the paired test of the first method against each
    other one; returns the path of ``comparison.md``."""
    tables: dict[str, list] = {}
    scores: dict[str, dict[int, dict[str, dict[str, float]]]] = {}
    weights: dict[str, list] = {}
    losses: dict[str, list] = {}
    for method, by_seed in runs.items():
        for seed, folders in by_seed.items():
            for k, run in enumerate(folders):
                label = f"seed {seed}" + (f", fold {k}" if run.parent.name.startswith("fold") else "")
                final = read_weights(run / "eval")
                start = first_logged(run / "runs", WEIGHT_TAG, list(final)) if final else None
                weights.setdefault(method, []).append((label, final, start))
                losses.setdefault(method, []).append((label, training_loss_summary(run / "runs")))
            evaluations = [run / "eval" for run in folders]
            tables.setdefault(method, []).append(summary_tables(evaluations))
            scores.setdefault(method, {})[seed] = case_scores(evaluations)
    reference, *others = runs
    metrics = next(names for names in TASK_METRICS.values() if set(names) == set(tables[reference][0]))
    tests = []
    for method in others:
        for seed, by_metric in scores[method].items():
            theirs, ours = set(next(iter(by_metric.values()))), set(next(iter(scores[reference][seed].values())))
            if theirs != ours:
                raise ValueError(
                    f"{method!r} and {reference!r} scored other cases with seed {seed} ({len(theirs ^ ours)} not in "
                    "both); compare runs of the same datalist and folds."
                )
        for metric in next(iter(scores[reference].values())):
            result = paired_case_test(
                {s: v[metric] for s, v in scores[reference].items()}, {s: v[metric] for s, v in scores[method].items()}
            )
            tests.append({"metric": metric, "reference": reference, "method": method, **result})
    render_comparison(out, tables, metrics, weights, note, tests, losses)
    return str(out / f"{COMPARISON}.md")


def _train_and_evaluate(
    root: Path, names: Sequence[str], method: str, seed: int, data: Path, extra: list[str], run: Path, rerun: bool
) -> None:
    """One method and seed (and fold, by ``extra``'s datalist) through the bundle runner, unless it finished."""
    if not rerun and (run / "eval" / "summary.csv").is_file():
        return
    logger.info(f"training {method}, seed {seed}: {run}")
    files = [str(root / "configs" / n) for n in [*names, f"{method}.json"]]
    common = ["--bundle_root", str(root), "--logging_file", str(root / "configs" / "logging.conf")]
    common += ["--dataset_dir", str(data), "--random_seed", str(seed), *extra]
    train = [sys.executable, "-m", "monai.bundle", "run", "training", "--config_file", str(files), *common]
    _run(train + ["--ckpt_dir", str(run / "models"), "--output_dir", str(run / "runs")], run / "train.log")
    files.append(str(root / "configs" / "evaluate.json"))
    evaluate = [sys.executable, "-m", "monai.bundle", "run", "evaluating", "--config_file", str(files), *common]
    evaluate += ["--ckpt_path", str(run / "models" / "model.pt"), "--output_dir", str(run / "eval")]
    _run(evaluate, run / "eval.log")
