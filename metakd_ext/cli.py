"""Command line of metakd_ext: ``python -m metakd_ext <command> <task> --flag value``.

Commands:
    demo brats       write the offline BraTS-like demo data set and its datalist
    demo adni        write the offline ADNI-like demo (MRI, PET, clinical, CSF, APOE4 with missing entries)
    datalist brats   write a datalist JSON (with a seeded or given split) for a BraTS folder
    datalist adni    write a datalist JSON (stratified split, training statistics) for a subjects CSV
    datalist avmnist write an AV-MNIST datalist (SMIL protocol: spoken and written digits, audio kept at a rate)
    report           print and re-render the summary of a saved missing-modality evaluation
    compare          train and evaluate a bundle's methods (MetaKD, uniform, no KD, LCKD) over seeds, one table
    tabulate         one table with paired tests of finished runs from several comparisons (e.g. two topologies)
    stack            write a BraTS case folder as one 4-channel NIfTI (zero channels for missing modalities)
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fire

from metakd_ext.comparison import compare_methods, tabulate_runs
from metakd_ext.data.adni_datalist import write_subject_datalist
from metakd_ext.data.avmnist_datalist import write_avmnist_datalist
from metakd_ext.data.brats_datalist import write_brats_datalist
from metakd_ext.data.demo_adni import make_adni_demo
from metakd_ext.data.demo_brats import make_brats_demo
from metakd_ext.data.stack import stack_brats_case
from metakd_ext.visualize.classification_report import PER_SUBJECT, read_per_subject, render_classification_report
from metakd_ext.visualize.subset_report import read_per_case, read_weights, render_report

__all__ = [
    "compare",
    "demo_brats",
    "demo_adni",
    "datalist_brats",
    "datalist_adni",
    "datalist_avmnist",
    "report",
    "stack",
    "tabulate",
    "main",
]


def _command(write: Callable[..., Any], output_arg: str | None = None) -> Callable[..., str]:
    """``write`` as a command, with its signature, defaults and docs; it prints the path written: the one ``write``
    returns, or its argument ``output_arg`` (fire would list the members of a returned path or datalist)."""
    signature = inspect.signature(write)

    @functools.wraps(write)
    def command(*args: Any, **kwargs: Any) -> str:
        result = write(*args, **kwargs)
        return str(signature.bind(*args, **kwargs).arguments[output_arg] if output_arg else result)

    return command


demo_brats = _command(make_brats_demo)
demo_adni = _command(make_adni_demo)
datalist_brats = _command(write_brats_datalist, "output")
datalist_adni = _command(write_subject_datalist, "output")
datalist_avmnist = _command(write_avmnist_datalist, "output")
compare = _command(compare_methods)
tabulate = _command(tabulate_runs)


def report(eval_dir: str, et_min_voxels: int | None = None) -> None:
    """Print the summary table of an evaluation and write summary.csv, summary.md and summary.png again.

    Args:
        eval_dir: the evaluation's output_dir, holding per_case.csv (segmentation) or per_subject.csv
            (classification).
        et_min_voxels: the ET post-processing threshold used, for the note under a segmentation table.
    """
    weights = read_weights(eval_dir)
    if (Path(eval_dir) / PER_SUBJECT).is_file():
        rows, classes = read_per_subject(eval_dir)
        print(render_classification_report(eval_dir, rows, classes, weights=weights), end="")
    else:
        print(render_report(eval_dir, read_per_case(eval_dir), weights=weights, et_min_voxels=et_min_voxels), end="")


def stack(case_dir: str, output: str) -> None:
    """Write a BraTS case folder as one 4-channel NIfTI (FLAIR, T1, T1ce, T2), as MONAI Label's datastore takes it.

    A missing modality file becomes an all-zero channel; the case's grid and data type are kept.

    Args:
        case_dir: the case folder (2018-2021 or 2023+ layout).
        output: the NIfTI file to write, e.g. studies/<case>.nii.gz.
    """
    missing = stack_brats_case(case_dir, output)
    print(f"wrote {output}" + (f" (zero channels: {', '.join(missing)})" if missing else ""))


def main(argv: list[str] | None = None) -> None:
    """Runs the command line."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    try:
        fire.Fire(
            {
                "demo": {"brats": demo_brats, "adni": demo_adni},
                "datalist": {"brats": datalist_brats, "adni": datalist_adni, "avmnist": datalist_avmnist},
                "report": report,
                "stack": stack,
                "compare": compare,
                "tabulate": tabulate,
            },
            command=argv,
            name="metakd",
        )
    except (ValueError, FileNotFoundError, ImportError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
