"""TensorBoard scalars of a handler, with the writer made on first use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

__all__ = ["ScalarWriter"]


class ScalarWriter:
    """Writes named scalars as ``<tag>/<name>`` to TensorBoard; with neither a writer nor a folder it writes nothing.

    Args:
        summary_writer: an existing TensorBoard writer; or
        log_dir: a folder for a new writer, made at the first write (so that a run that never writes leaves no
            file).
    """

    def __init__(self, summary_writer: SummaryWriter | None = None, log_dir: str | None = None) -> None:
        self._writer = summary_writer
        self._log_dir = log_dir

    def write(self, tag: str, values: Mapping[str, float], step: int) -> None:
        """Writes each value as the scalar ``<tag>/<name>`` at ``step`` and flushes."""
        if self._writer is None and self._log_dir is not None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=self._log_dir)
        if self._writer is None:
            return
        for name, value in values.items():
            self._writer.add_scalar(f"{tag}/{name}", float(value), step)
        self._writer.flush()
