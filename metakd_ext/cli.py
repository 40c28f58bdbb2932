"""Command line of metakd_ext: ``python -m metakd_ext <command> <task> --flag value``.

Commands:
    demo brats       write the offline BraTS-like demo data set and its datalist
    demo adni        write the offline ADNI-like demo (MRI, PET, clinical, CSF, APOE4 with missing entries)
    datalist brats   write a datalist JSON (with a seeded or given split) for a BraTS folder
    datalist adni    write a datalist JSON (stratified split, training statistics) for a subjects CSV
    report           print and re-render the summary of a saved missing-modality evaluation
    stack            write a BraTS case folder as one 4-channel NIfTI (zero channels for missing modalities)
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fire

from metakd_ext.data.adni_datalist import ADNI_LABELS, write_subject_datalist
from metakd_ext.data.brats_datalist import write_brats_datalist
from metakd_ext.data.demo_adni import ADNI_IMAGE_COLUMNS, ADNI_TABULAR_COLUMNS, make_adni_demo
from metakd_ext.data.demo_brats import make_brats_demo
from metakd_ext.data.stack import stack_brats_case
from metakd_ext.visualize.classification_report import PER_SUBJECT, render_classification_report
from metakd_ext.visualize.subset_report import render_report

__all__ = ["demo_brats", "demo_adni", "datalist_brats", "datalist_adni", "report", "stack", "main"]


def _path_as_text(write: Callable[..., os.PathLike]) -> Callable[..., str]:
    """``write`` as a command: its signature and docs; the path it returns as text (fire would list its members)."""

    @functools.wraps(write)
    def command(*args: Any, **kwargs: Any) -> str:
        return str(write(*args, **kwargs))

    return command


demo_brats = _path_as_text(make_brats_demo)
demo_adni = _path_as_text(make_adni_demo)


def datalist_adni(
    csv: str,
    output: str,
    image_columns: dict | None = None,
    tabular_columns: dict | None = None,
    labels: list | tuple = ADNI_LABELS,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    num_meta: int = 6,
    seed: int = 0,
    id_column: str = "subject",
    label_column: str = "diagnosis",
) -> str:
    """Write a datalist JSON for a subjects CSV: seeded label-stratified split, tabular statistics of the training
    split. Empty cells are missing; image paths are relative to the CSV's folder.

    Args:
        csv: the subjects CSV (one row per subject).
        output: the datalist JSON to write.
        image_columns: {modality: path column}; default the demo's {"mri": "mri", "pet": "pet"}.
        tabular_columns: {modality: [value columns]}; default the demo's clinical, csf and genetic columns.
        labels: class names in class-index order.
        val_fraction: stratified validation fraction.
        test_fraction: stratified fraction of held-out testing subjects (the evaluation scores them).
        num_meta: subjects held out for meta-validation.
        seed: seed of the split.
        id_column: column of the subject id.
        label_column: column of the diagnosis.

    Returns:
        The path of the datalist JSON.
    """
    write_subject_datalist(
        csv,
        output,
        image_columns if image_columns is not None else ADNI_IMAGE_COLUMNS,
        tabular_columns if tabular_columns is not None else ADNI_TABULAR_COLUMNS,
        [str(label) for label in labels],
        val_fraction,
        test_fraction,
        num_meta,
        seed,
        id_column,
        label_column,
    )
    return output


def datalist_brats(
    data_dir: str,
    output: str,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    num_meta: int = 5,
    seed: int = 0,
    train_split: str | None = None,
    val_split: str | None = None,
    meta_split: str | None = None,
    test_split: str | None = None,
) -> str:
    """Write a datalist JSON for a BraTS folder (2018-2021 or 2023+ layout; HGG/LGG sub-folders; missing files).

    Args:
        data_dir: the data set root; paths in the datalist are relative to it (the bundle's dataset_dir).
        output: the datalist JSON to write.
        val_fraction: fraction of labelled cases for validation, which chooses the checkpoint (seeded split).
        test_fraction: fraction of labelled cases held out for testing, which the evaluation scores (seeded split).
        num_meta: number of labelled cases held out for meta-validation (seeded split).
        seed: seed of the split.
        train_split: optional file of training case names, one a line.
        val_split: optional file of validation case names.
        meta_split: optional file of meta-validation case names.
        test_split: optional file of test case names.

    Returns:
        The path of the datalist JSON.
    """
    write_brats_datalist(
        data_dir, output, val_fraction, test_fraction, num_meta, seed, train_split, val_split, meta_split, test_split
    )
    return output


def report(eval_dir: str, et_min_voxels: int | None = None) -> None:
    """Print the summary table of an evaluation and write summary.csv, summary.md and summary.png again.

    Args:
        eval_dir: the evaluation's output_dir, holding per_case.csv (segmentation) or per_subject.csv
            (classification).
        et_min_voxels: the ET post-processing threshold used, for the note under a segmentation table.
    """
    if (Path(eval_dir) / PER_SUBJECT).is_file():
        print(render_classification_report(eval_dir), end="")
    else:
        print(render_report(eval_dir, et_min_voxels=et_min_voxels), end="")


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
                "datalist": {"brats": datalist_brats, "adni": datalist_adni},
                "report": report,
                "stack": stack,
            },
            command=argv,
            name="metakd",
        )
    except (ValueError, FileNotFoundError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
