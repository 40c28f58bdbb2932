"""Inference over a batch of cases that predicts every usable one, lists the others with their reasons and fails
at the end, so that a script notices."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monai.engines import Evaluator, SupervisedEvaluator

from metakd_ext.data.usable_cases import SkippedCase
from metakd_ext.engines.classification_subset_evaluator import ClassificationSubsetEvaluator
from metakd_ext.utils.enums import BatchKey
from metakd_ext.utils.io import atomic_write_text, csv_text

__all__ = [
    "SKIPPED_COLUMNS",
    "SkippedCasesError",
    "SkipsUnusableCases",
    "InferenceEvaluator",
    "ClassificationInferenceEvaluator",
]

logger = logging.getLogger("metakd")

SKIPPED_COLUMNS = ["case", "reason", "files"]
"""The columns of the skipped-cases CSV: one row per case that was not predicted."""

if TYPE_CHECKING:
    _Base = Evaluator
else:
    _Base = object


class SkippedCasesError(RuntimeError):
    """Inference ended with cases it could not predict; the others are predicted."""


class SkipsUnusableCases(_Base):
    """Makes an evaluator skip the unusable cases of an inference run instead of stopping at the first one.

    The batches come from a :class:`~metakd_ext.data.SkipUnusableDataset` collated with
    :func:`~metakd_ext.data.collate_usable`: each holds the usable cases and the :class:`SkippedCase` records of the
    others under :attr:`~metakd_ext.utils.BatchKey.SKIPPED`. Each skipped case is logged with its reason as it comes;
    the usable cases are predicted as without this class (a batch of skipped cases only runs nothing). When the run
    ends, ``skipped_csv`` lists the skipped cases (:data:`SKIPPED_COLUMNS`; the header alone when none was, so that
    an earlier run's list never stays behind), written atomically, and where any was skipped :meth:`run` raises
    :class:`SkippedCasesError`: the command exits non-zero.

    Args:
        args: the evaluator's arguments.
        skipped_csv: the CSV of the skipped cases (beside the predictions); None to write none.
        kwargs: the evaluator's keyword arguments.
    """

    def __init__(self, *args: Any, skipped_csv: str | os.PathLike | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skipped_csv = None if skipped_csv is None else Path(skipped_csv)
        self.skipped: list[SkippedCase] = []

    def _iteration(self, engine: Any, batchdata: dict) -> dict:
        skipped = batchdata.pop(str(BatchKey.SKIPPED), [])
        for record in skipped:
            logger.warning(f"skipped case {record.case}: {record.reason}")
        self.skipped.extend(skipped)
        if not batchdata:
            engine.state.output = {}
            return {}
        return super()._iteration(engine, batchdata)

    def run(self, global_epoch: int = 1) -> None:  # type: ignore[override]  # as MONAI's Evaluator.run
        """Predicts every usable case, writes ``skipped_csv`` and raises if a case was skipped.

        Args:
            global_epoch: as for MONAI's ``Evaluator.run``.

        Raises:
            SkippedCasesError: a case could not be predicted (after all others are).
        """
        self.skipped = []
        super().run(global_epoch)
        if self.skipped_csv is not None:
            rows = [{"case": s.case, "reason": s.reason, "files": s.files} for s in self.skipped]
            atomic_write_text(self.skipped_csv, csv_text(rows, SKIPPED_COLUMNS))
        if self.skipped:
            listed = f", listed with the reasons in {self.skipped_csv}" if self.skipped_csv is not None else ""
            names = ", ".join(s.case for s in self.skipped[:5]) + (" ..." if len(self.skipped) > 5 else "")
            raise SkippedCasesError(
                f"{len(self.skipped)} case(s) could not be predicted ({names}){listed}; every other case is. Fix "
                "or replace their files and run inference on them again."
            )


class InferenceEvaluator(SkipsUnusableCases, SupervisedEvaluator):
    """MONAI's ``SupervisedEvaluator`` that skips unusable cases (:class:`SkipsUnusableCases`): the BraTS
    bundle's inference."""


class ClassificationInferenceEvaluator(SkipsUnusableCases, ClassificationSubsetEvaluator):
    """:class:`~metakd_ext.engines.ClassificationSubsetEvaluator` that skips unusable subjects
    (:class:`SkipsUnusableCases`): the ADNI and AV-MNIST bundles' inference."""
