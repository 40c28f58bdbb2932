"""One command that trains and evaluates the methods of a bundle side by side, and writes one table."""

from __future__ import annotations

import csv
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from metakd_ext.metrics.subset_summary import summarize_subsets
from metakd_ext.visualize.classification_report import PER_SUBJECT, read_per_subject, summarize_classification
from metakd_ext.visualize.comparison_report import COMPARISON, render_comparison
from metakd_ext.visualize.subset_report import PER_CASE, read_per_case, read_weights

__all__ = ["METHODS", "TASK_METRICS", "compare_methods", "summary_tables"]

logger = logging.getLogger("metakd")

METHODS = ("metakd", "uniform", "nokd", "lckd")
"""The method configs of each bundle (``configs/<method>.json``, merged over ``train.json``)."""

TASK_METRICS = {
    PER_CASE: {"dice_et": "Dice ET", "dice_tc": "Dice TC", "dice_wt": "Dice WT"},
    PER_SUBJECT: {"accuracy": "accuracy", "macro_auc": "macro AUC"},
}
"""The compared metrics by the per-case file an evaluation writes (segmentation, classification)."""


def summary_tables(eval_dir: str | os.PathLike) -> dict[str, list[dict]]:
    """Per metric of :data:`TASK_METRICS`, the rows ``{"subset", "value"}`` of one evaluation (the subsets in the
    order of its ``summary.csv``, the mean over subsets last), computed from its per-case or per-subject file.

    Raises:
        FileNotFoundError: the folder holds no evaluation.
    """
    folder = Path(eval_dir)
    with (folder / "summary.csv").open(newline="") as f:
        order = [row["subset"] for row in csv.DictReader(f)]
    subsets = order[:-1]
    if (folder / PER_SUBJECT).is_file():
        rows, classes = read_per_subject(folder)
        table = summarize_classification(rows, classes, subsets)
        return {m: [{"subset": t["subset"], "value": t[m]} for t in table] for m in TASK_METRICS[PER_SUBJECT]}
    table = summarize_subsets(read_per_case(folder), subsets)
    return {m: [{"subset": t["subset"], "value": t[f"{m}_mean"]} for t in table] for m in TASK_METRICS[PER_CASE]}


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
    configs: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
    rerun: bool = False,
) -> str:
    """Trains every method with every seed through the bundle runner, evaluates each model on every modality subset
    of the held-out split, and writes the side-by-side table (``comparison.csv``, ``.md``, ``.png``).

    Each run is ``python -m monai.bundle run training`` with ``train.json``, ``configs`` and ``<method>.json``
    (``--random_seed`` the seed: initialisation, data order, modality dropping), then ``run evaluating`` with
    ``evaluate.json`` merged last; its models, logs and evaluation go to ``output_dir/<method>/seed<seed>/``.
    Finished runs (an ``eval/summary.csv``) are kept, so an interrupted comparison continues where it stopped.

    Args:
        bundle_root: the bundle (``bundles/metakd_brats`` or ``bundles/metakd_adni``).
        dataset_dir: its data (with the datalist).
        output_dir: where the runs and the table go.
        methods: method configs of the bundle, ``configs/<method>.json`` (default all four).
        seeds: the seeds; each method is trained once per seed.
        configs: further configs merged after ``train.json`` (e.g. ``["demo.json"]``), names in ``configs/``.
        overrides: top-level keys for every run, e.g. ``{"epochs": 20, "teacher_election_interval": 100}``.
        rerun: train and evaluate again even where a run finished.

    Returns:
        The path of ``comparison.md``.

    Raises:
        FileNotFoundError: the bundle or a config does not exist.
        RuntimeError: a run failed; the message names its log.
    """
    root = Path(bundle_root).resolve()
    names = ["train.json", *configs]
    for name in [*names, *(f"{m}.json" for m in methods), "evaluate.json", "logging.conf"]:
        if not (root / "configs" / name).is_file():
            raise FileNotFoundError(f"{root / 'configs' / name} not found; give a bundle folder and its config names.")
    out = Path(output_dir).resolve()
    extra = [item for k, v in (overrides or {}).items() for item in (f"--{k}", str(v))]
    tables: dict[str, list] = {}
    weights: dict[str, list] = {}
    for method in methods:
        for seed in seeds:
            run = out / method / f"seed{seed}"
            files = [str(root / "configs" / n) for n in [*names, f"{method}.json"]]
            common = ["--bundle_root", str(root), "--logging_file", str(root / "configs" / "logging.conf")]
            common += ["--dataset_dir", str(Path(dataset_dir).resolve()), "--random_seed", str(seed), *extra]
            if rerun or not (run / "eval" / "summary.csv").is_file():
                logger.info(f"training {method}, seed {seed}: {run}")
                train = [sys.executable, "-m", "monai.bundle", "run", "training", "--config_file", str(files), *common]
                _run(train + ["--ckpt_dir", str(run / "models"), "--output_dir", str(run / "runs")], run / "train.log")
                files.append(str(root / "configs" / "evaluate.json"))
                evaluate = [sys.executable, "-m", "monai.bundle", "run", "evaluating", "--config_file", str(files)]
                evaluate += [
                    *common,
                    "--ckpt_path",
                    str(run / "models" / "model.pt"),
                    "--output_dir",
                    str(run / "eval"),
                ]
                _run(evaluate, run / "eval.log")
            tables.setdefault(method, []).append(summary_tables(run / "eval"))
            weights.setdefault(method, []).append(read_weights(run / "eval"))
    computed = tables[methods[0]][0]
    metrics = next(names for names in TASK_METRICS.values() if set(names) == set(computed))
    note = (
        f"Bundle {root.name}, data {Path(dataset_dir).name}, configs {', '.join(names)} + the method's; "
        f"seeds {', '.join(map(str, seeds))}; each model scored on the held-out split of its evaluation."
    )
    render_comparison(out, tables, metrics, weights, note)
    return str(out / f"{COMPARISON}.md")
