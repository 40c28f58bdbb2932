"""File writing that never leaves a half-written file in place of a good one."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import nibabel as nib
import numpy as np

__all__ = ["atomic_write", "atomic_write_text", "csv_text", "save_nifti"]


def atomic_write(path: str | os.PathLike, write: Callable[[str], object]) -> None:
    """Calls ``write(tmp_path)`` for a temporary file beside ``path``, then moves it onto ``path`` in one step.

    If ``write`` fails, ``path`` keeps its old content and the temporary file is removed. The temporary name keeps
    the file's extensions (``.nii.gz``), so writers that go by the name still work.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(target.suffixes)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Writes ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def save_nifti(array: np.ndarray, affine: np.ndarray, path: str | os.PathLike) -> None:
    """Writes ``array`` as a NIfTI file with ``affine`` (units mm), atomically."""
    img = nib.Nifti1Image(array, affine)
    img.header.set_xyzt_units("mm")
    atomic_write(path, lambda tmp: nib.save(img, tmp))


def csv_text(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """CSV text of ``rows`` with a header of ``columns`` (other keys of the rows are left out)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
