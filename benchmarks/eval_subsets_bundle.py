"""Wall time of the 15-subset table as a user gets it: one evaluation run of the bundle with the fast path
against 15 evaluation runs with one subset each (``fast_subsets: false``), as today's code bases are run by hand.

Each run is a whole ``python -m monai.bundle run`` process: start-up, parsing the configs, loading the
checkpoint, loading and preprocessing the evaluation cases, sliding-window inference, scoring (Dice, HD95) and
writing the report. Rounds are interleaved (the fast run, then the 15 plain runs) and the median is printed.
The 15 plain runs' ``per_case.csv`` rows are checked against the fast run's (to 1e-4), so both give one table.

    python benchmarks/eval_subsets_bundle.py --dataset_dir demo_data \
        --config_file "['bundles/metakd_brats/configs/train.json','bundles/metakd_brats/configs/demo.json']"

``--config_file`` names the training configs the model was trained with; ``evaluate.json`` of the bundle is
merged over them; other arguments (``--eval_split validation``, ``--roi_size [64,64,64]``) go to every run.
Prints a Markdown table with the ratio.
"""

from __future__ import annotations

import argparse
import ast
import csv
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from metakd_ext.data import BRATS_MODALITIES
from metakd_ext.utils import all_subsets


def _run(bundle_root: str, configs: list[str], output_dir: Path, overrides: list[str]) -> float:
    """Seconds one bundle evaluation process takes; its outputs go to ``output_dir``."""
    command = [
        sys.executable, "-m", "monai.bundle", "run", "--bundle_root", bundle_root,
        "--config_file", str(configs), "--logging_file", f"{bundle_root}/configs/logging.conf",
        "--output_dir", str(output_dir), *overrides,
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def _rows(eval_dir: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(eval_dir / "per_case.csv", newline="") as f:
        return {(r["case"], r["subset"]): r for r in csv.DictReader(f)}


def _check_same_table(fast_dir: Path, plain_dirs: list[Path]) -> int:
    """Compares the plain runs' rows with the fast run's; returns how many rows were compared."""
    fast = _rows(fast_dir)
    plain = {key: row for d in plain_dirs for key, row in _rows(d).items()}
    if fast.keys() != plain.keys():
        raise AssertionError(f"the runs scored different (case, subset) rows: {sorted(fast.keys() ^ plain.keys())}")
    for key, row in fast.items():
        for column, value in row.items():
            other = plain[key][column]
            try:
                a, b = float(value), float(other)
                same = math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-4) or (math.isnan(a) and math.isnan(b))
            except ValueError:
                same = value == other
            if not same:
                raise AssertionError(f"{key} {column}: fast path {value}, plain run {other}")
    return len(fast)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle_root", default="bundles/metakd_brats")
    parser.add_argument("--config_file", required=True, help="the training configs, as a Python list literal")
    parser.add_argument("--dataset_dir", required=True)
    parser.add_argument("--rounds", type=int, default=1)
    args, overrides = parser.parse_known_args()  # anything else goes to every run, e.g. --eval_split validation
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    configs = [*ast.literal_eval(args.config_file), f"{args.bundle_root}/configs/evaluate.json"]
    common = ["--dataset_dir", args.dataset_dir, *overrides]
    subsets = all_subsets(BRATS_MODALITIES)
    times: dict[str, list[float]] = {"one run, fast path": [], "15 runs, one subset each": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            fast_dir = Path(tmp, f"fast{r}")
            times["one run, fast path"].append(_run(args.bundle_root, configs, fast_dir, common))
            plain_dirs = [Path(tmp, f"plain{r}", s) for s in subsets]
            times["15 runs, one subset each"].append(
                sum(
                    _run(args.bundle_root, configs, d, [*common, "--subsets", f"['{s}']", "--fast_subsets", "false"])
                    for s, d in zip(subsets, plain_dirs)
                )
            )
            compared = _check_same_table(fast_dir, plain_dirs)
    print(
        f"{args.bundle_root}, configs {configs}, dataset {args.dataset_dir}, {args.rounds} round(s) (median); "
        f"the 15 runs' {compared} (case, subset) rows equal the fast run's to 1e-4"
    )
    base = statistics.median(times["15 runs, one subset each"])
    print("| evaluation | seconds | x 15 runs |")
    print("| --- | --- | --- |")
    for label, values in times.items():
        print(f"| {label} | {statistics.median(values):.1f} | {statistics.median(values) / base:.2f} |")


if __name__ == "__main__":
    main()
