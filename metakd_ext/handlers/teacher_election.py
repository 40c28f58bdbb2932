"""Runs LCKD's teacher election while training."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from ignite.engine import Engine, Events

from metakd_ext.engines.subset_evaluator import SubsetEvaluator
from metakd_ext.handlers.scalar_writer import ScalarWriter
from metakd_ext.networks.blocks.modality_teachers import ModalityTeachers
from metakd_ext.utils.modules import process_rank

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

__all__ = ["TeacherElectionHandler"]


class TeacherElectionHandler:
    """Elects the teacher modalities of LCKD (Wang et al., arXiv 2310.01035) after the first iteration and every
    ``interval`` iterations.

    The ``evaluator`` predicts every case of the election split (ours: meta-validation) with one modality at a time
    (its ``subsets`` are the single modalities); ``scores`` turns its rows into ``{task: {modality: score}}``
    (:func:`~metakd_ext.metrics.region_election_scores` for BraTS: soft Dice per region summed over the cases;
    :func:`~metakd_ext.metrics.classification_election_scores`: the checkpoint metric), and
    :meth:`~metakd_ext.networks.ModalityTeachers.elect` keeps the best modality per task. The teachers go to the log
    (with the scores), to TensorBoard (``<tag>/<modality>``, 1 for a teacher) and to ``engine.state.teachers``; they
    are a buffer of the teachers module, so the checkpoint holds them. Under ``torch.distributed`` every process
    elects (the same teachers: the same weights, the whole election split) and the first one reports.

    Args:
        teachers: the trainer's ``weight_learner``.
        evaluator: a subset evaluator over the election split with the single-modality subsets.
        scores: rows -> ``{task: {modality: score}}``, higher is better.
        modality_names: the M modality names, in mask order.
        interval: iterations between elections (the authors' ``train.py``: 100 by default); 0 elects after the
            first iteration only.
        summary_writer: an existing TensorBoard writer; or
        log_dir: a folder for a new writer; with neither, TensorBoard is not written.
        tag: TensorBoard tag prefix.
        logger_name: name of the Python logger.
    """

    def __init__(
        self,
        teachers: ModalityTeachers,
        evaluator: SubsetEvaluator,
        scores: Callable[[list[dict]], Mapping[str, Mapping[str, float]]],
        modality_names: Sequence[str],
        interval: int = 5000,
        summary_writer: SummaryWriter | None = None,
        log_dir: str | None = None,
        tag: str = "teacher",
        logger_name: str = "metakd",
    ) -> None:
        if interval < 0:
            raise ValueError(f"`interval` must be >= 0, got {interval}.")
        if len(modality_names) != teachers.num_modalities:
            raise ValueError(
                f"`modality_names` has {len(modality_names)} names but the teachers have {teachers.num_modalities}."
            )
        self.teachers = teachers
        self.evaluator = evaluator
        self.scores = scores
        self.modality_names = [str(n) for n in modality_names]
        self.interval = interval
        self.tag = tag
        self.logger = logging.getLogger(logger_name)
        self.scalars = ScalarWriter(summary_writer, log_dir)
        self._last_iteration = -1

    def attach(self, engine: Engine) -> None:
        """Registers the handler on ``engine``."""
        engine.add_event_handler(Events.ITERATION_COMPLETED(once=1), self)
        if self.interval > 0:
            engine.add_event_handler(Events.ITERATION_COMPLETED(every=self.interval), self)

    def __call__(self, engine: Engine) -> None:
        if engine.state.iteration == self._last_iteration:
            return
        self._last_iteration = engine.state.iteration
        self.evaluator.run()
        table = self.scores(self.evaluator.state.rows)
        elected = self.teachers.elect_by_name(table, self.modality_names)
        names = [n for n, t in zip(self.modality_names, elected.tolist()) if t]
        engine.state.teachers = names  # type: ignore[attr-defined]
        if process_rank() > 0:
            return
        detail = "; ".join(
            f"{task} " + ", ".join(f"{m} {float(v):.3f}" for m, v in by_modality.items())
            for task, by_modality in table.items()
        )
        self.logger.info(
            f"epoch {engine.state.epoch} iteration {engine.state.iteration}: teacher election ({detail}): "
            f"teachers {', '.join(names)}"
        )
        self.scalars.write(self.tag, dict(zip(self.modality_names, elected.float().tolist())), engine.state.iteration)
