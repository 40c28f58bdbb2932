"""Image writers that never leave a half-written file in place of a good one."""

from __future__ import annotations

from typing import Any

from monai.config import PathLike
from monai.data import NibabelWriter

from metakd_ext.utils.io import atomic_write

__all__ = ["AtomicNibabelWriter", "case_name_formatter"]


class AtomicNibabelWriter(NibabelWriter):
    """MONAI's ``NibabelWriter`` writing beside the destination and moving the file into place in one step.

    Use it with ``SaveImage(d)(writer=AtomicNibabelWriter)``: an interrupted run leaves any earlier output intact.
    """

    def write(self, filename: PathLike, verbose: bool = False, **obj_kwargs: Any) -> None:
        atomic_write(filename, lambda tmp: NibabelWriter.write(self, tmp, verbose=verbose, **obj_kwargs))


def case_name_formatter(metadict: dict, saver: object) -> dict:
    """Output name formatter for ``SaveImage(d)``: files are named after the case (``<case>_<postfix>.nii.gz``).

    The case name is the ``"case"`` entry that :class:`metakd_ext.transforms.LoadModalities` puts in the metadata.
    """
    return {"subject": str(metadict.get("case", "case")), "idx": None}
