"""Writes the files of a missing-modality evaluation when a subset evaluator ends."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from ignite.engine import Events

from metakd_ext.engines.subset_evaluator import SubsetEvaluator
from metakd_ext.networks.blocks.modality_teachers import ModalityTeachers
from metakd_ext.networks.blocks.modality_weight_learner import ModalityWeightLearner

__all__ = ["SubsetReportWriter"]


class SubsetReportWriter:
    """Hands the rows of a :class:`~metakd_ext.engines.SubsetEvaluator` to a report function when it completes.

    The report is a pure function, rows in, files out, which the command line's ``report`` calls too:
    :func:`~metakd_ext.visualize.write_segmentation_report` (``per_case.csv``, Dice and HD95),
    :func:`~metakd_ext.visualize.write_classification_report` (``per_subject.csv``, accuracy, balanced accuracy,
    macro F1, macro AUC) or :func:`~metakd_ext.visualize.write_class_predictions` (``predictions.csv``). In a
    bundle config it is given with ``"_mode_": "callable"`` and its own arguments (``et_min_voxels``,
    ``class_names``).

    Args:
        output_dir: folder of the files.
        report: ``report(output_dir, rows, subsets=..., weights=..., weights_title=...) -> str``, the text to log.
        weight_learner: the checkpoint's weight learner, whose weights go into the report (LCKD's
            :class:`~metakd_ext.networks.ModalityTeachers`: its teachers); None where the model distils nothing.
        modality_names: names of the weights; required with ``weight_learner``.
        eval_split: the datalist section the evaluator scores; recorded per row as ``split``, and the summary says
            whether its cases chose anything (the checkpoint, the weights) or were held out.
        logger_name: name of the Python logger.
    """

    def __init__(
        self,
        output_dir: str | os.PathLike,
        report: Callable[..., str],
        weight_learner: ModalityWeightLearner | ModalityTeachers | None = None,
        modality_names: Sequence[str] | None = None,
        eval_split: str | None = None,
        logger_name: str = "metakd",
    ) -> None:
        if weight_learner is not None and (
            modality_names is None or len(modality_names) != weight_learner.num_modalities
        ):
            raise ValueError("`modality_names` must name every modality of `weight_learner`.")
        self.output_dir = Path(output_dir)
        self.report = report
        self.weight_learner = weight_learner
        self.modality_names = None if modality_names is None else [str(n) for n in modality_names]
        self.eval_split = eval_split
        self.logger = logging.getLogger(logger_name)

    def attach(self, engine: SubsetEvaluator) -> None:
        """Registers the handler on ``engine``."""
        engine.add_event_handler(Events.COMPLETED, self)

    def __call__(self, engine: SubsetEvaluator) -> None:
        weights = None
        if self.weight_learner is not None and self.modality_names is not None:
            weights = dict(zip(self.modality_names, self.weight_learner.weights().detach().cpu().tolist()))
        rows = [{**row, "split": self.eval_split} for row in engine.state.rows]
        title = (
            "Elected teachers (1 a teacher)"
            if isinstance(self.weight_learner, ModalityTeachers)
            else "Modality weights"
        )
        text = self.report(self.output_dir, rows, subsets=engine.subsets, weights=weights, weights_title=title)
        self.logger.info(f"{self.output_dir.resolve()}:\n{text}")
