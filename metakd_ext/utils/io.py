"""File writing that never leaves a half-written file in place of a good one."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import nibabel as nib
import numpy as np

__all__ = ["atomic_write", "atomic_write_text", "csv_text", "remove_stale_temporaries", "save_nifti"]

logger = logging.getLogger("metakd")
# the temporary name atomic_write gives: "." + the file's name + "." + 8 random characters + ".tmp" + its extensions
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp(\..+)?$")


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


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Removes the temporary files that :func:`atomic_write` leaves in ``folder`` when its process is killed while
    writing (hidden ``.model.pt.xxxxxxxx.tmp.pt``, often empty); logs each one. Call it before a run writes there.

    Returns:
        The removed files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and _TEMPORARY.match(path.name):
            path.unlink(missing_ok=True)  # another process of a multi-GPU run may have removed it first
            logger.warning(f"removed {path}: a file left half-written by an interrupted run")
            removed.append(path)
    return removed


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
