"""Checks a bundle run makes when it starts, so that a bad setting fails in seconds, not after hours of training."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .io import remove_stale_temporaries

__all__ = ["check_output_dir", "check_batch_size", "check_training_run"]


def check_output_dir(path: str | os.PathLike, key: str) -> Path:
    """Makes the folder ``path`` (the bundle setting ``key``) if needed, checks that a file can be written in it and
    removes the temporary files an interrupted run left there.

    Returns:
        The folder.

    Raises:
        PermissionError: the folder cannot be made or written (the message names the setting and the folder).
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write_check."):
            pass
    except OSError as e:
        raise PermissionError(
            f"`{key}` {folder.resolve()} cannot be written ({type(e).__name__}: {e.strerror or e}); pass another "
            f"with --{key} DIR or make it writable. Checked when the run starts, before any work is lost."
        ) from e
    remove_stale_temporaries(folder)
    return folder


def check_batch_size(
    num_cases: int, batch_size: int, split: str = "training", datalist: str | os.PathLike | None = None
) -> None:
    """Checks that ``split`` (``num_cases`` cases) fills at least one batch of ``batch_size`` (batches drop a
    partial last one); ``datalist``, the file the split is from, is named in the message.

    Raises:
        ValueError: fewer cases than ``batch_size``, or no case at all.
    """
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1, got {batch_size}.")
    if num_cases < batch_size:
        fix = f"pass --batch_size {num_cases} or add cases" if num_cases else "add cases to the datalist"
        source = f" of datalist {datalist}" if datalist is not None else ""
        raise ValueError(
            f"the {split} split{source} has {num_cases} case(s), fewer than `batch_size` {batch_size}: not one batch "
            f"would be drawn; {fix}."
        )


def check_training_run(
    ckpt_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    num_cases: int,
    batch_size: int,
    datalist: str | os.PathLike | None = None,
) -> None:
    """The checks of a training run at its start: ``ckpt_dir`` and ``output_dir`` writable (stale temporary files
    removed), and a training split (of ``datalist``, named in the message) that fills a batch.

    Raises:
        PermissionError: a folder cannot be written.
        ValueError: fewer training cases than ``batch_size``.
    """
    check_batch_size(num_cases, batch_size, datalist=datalist)
    check_output_dir(ckpt_dir, "ckpt_dir")
    check_output_dir(output_dir, "output_dir")
