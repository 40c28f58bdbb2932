"""Inference that predicts every usable case: a case that cannot be loaded becomes a record of why, not an error
that stops the cases after it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monai.data import Dataset, list_data_collate

from metakd_ext.utils.enums import BatchKey
from metakd_ext.utils.errors import root_cause

__all__ = ["SkippedCase", "SkipUnusableDataset", "collate_usable"]


@dataclass(frozen=True)
class SkippedCase:
    """A case that inference left out, and why.

    Attributes:
        case: the case (or subject) name.
        reason: what went wrong, as the error said it (it names the file and what to do).
        files: the entry's file paths, ``;``-separated, to find the case again.
    """

    case: str
    reason: str
    files: str


class SkipUnusableDataset(Dataset):
    """MONAI's ``Dataset`` for inference: an entry whose transform fails (no readable modality, a damaged file, a
    bad table row), or that carries a reason under :attr:`~metakd_ext.utils.BatchKey.UNUSABLE` (found before
    loading), gives a :class:`SkippedCase` instead of raising. Collate with :func:`collate_usable`; the inference
    evaluators (:class:`~metakd_ext.engines.InferenceEvaluator`) log and list the skipped cases and predict the
    others.

    Args:
        data: the case entries.
        transform: the preprocessing.
        case_key: key of the case name in an entry.
        path_keys: keys of an entry's file paths, for the record; None: every string value that is not the name.
    """

    def __init__(
        self,
        data: Sequence[Mapping[str, Any]],
        transform: Callable | None = None,
        case_key: str = BatchKey.CASE,
        path_keys: Sequence[str] | None = None,
    ) -> None:
        super().__init__(data=data, transform=transform)
        self.case_key = str(case_key)
        self.path_keys = None if path_keys is None else [str(k) for k in path_keys]

    def _transform(self, index: int) -> Any:
        entry = self.data[index]
        reason = entry.get(str(BatchKey.UNUSABLE))
        if reason is None:
            try:
                return super()._transform(index)
            except Exception as e:
                cause = root_cause(e)
                reason = f"{type(cause).__name__}: {cause}"
        keys = (
            self.path_keys
            if self.path_keys is not None
            else [k for k in entry if k not in (self.case_key, BatchKey.UNUSABLE)]
        )
        files = [str(entry[k]) for k in keys if isinstance(entry.get(k), str) and entry.get(k)]
        return SkippedCase(str(entry.get(self.case_key, f"#{index}")), str(reason), ";".join(files))


def collate_usable(batch: Sequence[Any]) -> dict:
    """MONAI's ``list_data_collate`` of the usable items of ``batch``, with the :class:`SkippedCase` records set
    aside under :attr:`~metakd_ext.utils.BatchKey.SKIPPED` (a list, empty where every case is usable). A batch of
    skipped cases only has that key."""
    skipped = [item for item in batch if isinstance(item, SkippedCase)]
    usable = [item for item in batch if not isinstance(item, SkippedCase)]
    collated = list_data_collate(usable) if usable else {}
    return {**collated, str(BatchKey.SKIPPED): skipped}
