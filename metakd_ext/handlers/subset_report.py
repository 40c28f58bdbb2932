"""Writes the files of a missing-modality evaluation when a :class:`~metakd_ext.engines.SubsetEvaluator` ends."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from ignite.engine import Engine, Events

from metakd_ext.networks.blocks.modality_weight_learner import ModalityWeightLearner
from metakd_ext.visualize.subset_report import render_report, write_per_case

__all__ = ["SubsetReportWriter"]


class SubsetReportWriter:
    """Writes ``per_case.csv``, ``summary.csv``, ``summary.md``, ``summary.png`` and the learned modality weights.

    Args:
        output_dir: folder of the files.
        weight_learner: the checkpoint's weight learner, whose weights go into the summary; optional.
        modality_names: names of the weights; required with ``weight_learner``.
        logger_name: name of the Python logger.
    """

    def __init__(
        self,
        output_dir: str | os.PathLike,
        weight_learner: ModalityWeightLearner | None = None,
        modality_names: Sequence[str] | None = None,
        logger_name: str = "metakd",
    ) -> None:
        if weight_learner is not None and (
            modality_names is None or len(modality_names) != weight_learner.num_modalities
        ):
            raise ValueError("`modality_names` must name every modality of `weight_learner`.")
        self.output_dir = Path(output_dir)
        self.weight_learner = weight_learner
        self.modality_names = None if modality_names is None else [str(n) for n in modality_names]
        self.logger = logging.getLogger(logger_name)

    def attach(self, engine: Engine) -> None:
        """Registers the handler on ``engine``."""
        engine.add_event_handler(Events.COMPLETED, self)

    def __call__(self, engine: Engine) -> None:
        weights = None
        if self.weight_learner is not None and self.modality_names is not None:
            weights = dict(zip(self.modality_names, self.weight_learner.weights().detach().cpu().tolist()))
        write_per_case(self.output_dir, engine.state.rows, weights)  # type: ignore[attr-defined]
        markdown = render_report(
            self.output_dir, getattr(engine, "subsets", None), getattr(engine, "et_min_voxels", None)
        )
        self.logger.info(f"evaluation written to {self.output_dir.resolve()}:\n{markdown}")
