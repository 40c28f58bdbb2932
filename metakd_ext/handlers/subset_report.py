"""Writes the files of a missing-modality evaluation when a subset evaluator ends."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from ignite.engine import Engine, Events

from metakd_ext.networks.blocks.modality_weight_learner import ModalityWeightLearner
from metakd_ext.utils.enums import StrEnum, look_up
from metakd_ext.visualize.classification_report import render_classification_report, write_per_subject
from metakd_ext.visualize.subset_report import render_report, write_per_case

__all__ = ["ReportKind", "SubsetReportWriter"]


class ReportKind(StrEnum):
    """What a subset evaluation scored."""

    SEGMENTATION = "segmentation"
    CLASSIFICATION = "classification"


class SubsetReportWriter:
    """Writes the per-case (or per-subject) CSV, ``summary.csv``, ``summary.md``, ``summary.png`` and the learned
    modality weights of a :class:`~metakd_ext.engines.SubsetEvaluator` (``per_case.csv``, Dice and HD95) or a
    :class:`~metakd_ext.engines.ClassificationSubsetEvaluator` (``per_subject.csv``, accuracy, balanced accuracy,
    macro F1, macro AUC).

    Args:
        output_dir: folder of the files.
        weight_learner: the checkpoint's weight learner, whose weights go into the summary; optional.
        modality_names: names of the weights; required with ``weight_learner``.
        logger_name: name of the Python logger.
        kind: ``"segmentation"`` or ``"classification"``.
        eval_split: the datalist section the evaluator scores; recorded per row, and the summary says whether its
            cases chose anything (the checkpoint, the weights) or were held out.
    """

    def __init__(
        self,
        output_dir: str | os.PathLike,
        weight_learner: ModalityWeightLearner | None = None,
        modality_names: Sequence[str] | None = None,
        logger_name: str = "metakd",
        kind: ReportKind | str = ReportKind.SEGMENTATION,
        eval_split: str | None = None,
    ) -> None:
        if weight_learner is not None and (
            modality_names is None or len(modality_names) != weight_learner.num_modalities
        ):
            raise ValueError("`modality_names` must name every modality of `weight_learner`.")
        self.output_dir = Path(output_dir)
        self.weight_learner = weight_learner
        self.modality_names = None if modality_names is None else [str(n) for n in modality_names]
        self.logger = logging.getLogger(logger_name)
        self.kind = look_up(ReportKind, kind, "kind")
        self.eval_split = eval_split

    def attach(self, engine: Engine) -> None:
        """Registers the handler on ``engine``."""
        engine.add_event_handler(Events.COMPLETED, self)

    def __call__(self, engine: Engine) -> None:
        weights = None
        if self.weight_learner is not None and self.modality_names is not None:
            weights = dict(zip(self.modality_names, self.weight_learner.weights().detach().cpu().tolist()))
        rows = [{**row, "split": self.eval_split} for row in engine.state.rows]  # type: ignore[attr-defined]
        subsets = getattr(engine, "subsets", None)
        if self.kind == ReportKind.CLASSIFICATION:
            write_per_subject(self.output_dir, rows, engine.class_names, weights)  # type: ignore[attr-defined]
            markdown = render_classification_report(self.output_dir, subsets)
        else:
            write_per_case(self.output_dir, rows, weights)
            markdown = render_report(self.output_dir, subsets, getattr(engine, "et_min_voxels", None))
        self.logger.info(f"evaluation written to {self.output_dir.resolve()}:\n{markdown}")
