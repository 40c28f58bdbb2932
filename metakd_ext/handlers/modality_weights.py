"""Logs the learned modality-importance weights while training."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ignite.engine import Engine, Events

from metakd_ext.handlers.scalar_writer import ScalarWriter
from metakd_ext.networks.blocks.modality_weight_learner import ModalityWeightLearner

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

__all__ = ["WEIGHT_TAG", "ModalityWeightsHandler"]

WEIGHT_TAG = "modality_weight"
"""The default TensorBoard tag prefix of the weights: ``modality_weight/<name>``."""


class ModalityWeightsHandler:
    """Writes ``p = softmax(w)`` of a :class:`~metakd_ext.networks.ModalityWeightLearner` to the log and TensorBoard.

    Logged every ``interval`` iterations and at the end of every epoch, as ``"modality weights: flair 0.31,
    t1 0.19, ..."`` in the text log and as scalars ``<tag>/<name>`` in TensorBoard. The current weights are also
    kept in ``engine.state.modality_weights`` (a name -> weight dict) and, as ``<tag>/<name>``, in
    ``engine.state.metrics``, where epoch-level trackers read an engine's numbers (MONAI's ``MLFlowHandler`` of
    ``--tracking mlflow``; the trainer's ``TensorBoardStatsHandler`` is configured without its epoch log, as this
    handler writes TensorBoard itself).

    Args:
        weight_learner: the learner whose weights are logged.
        modality_names: names of the M modalities, in order.
        interval: iterations between log lines; 0 logs at epoch ends only.
        summary_writer: an existing TensorBoard writer; or
        log_dir: a folder for a new writer; with neither, TensorBoard is not written.
        tag: TensorBoard tag prefix.
        logger_name: name of the Python logger.
    """

    def __init__(
        self,
        weight_learner: ModalityWeightLearner,
        modality_names: Sequence[str],
        interval: int = 0,
        summary_writer: SummaryWriter | None = None,
        log_dir: str | None = None,
        tag: str = WEIGHT_TAG,
        logger_name: str = "metakd",
    ) -> None:
        if len(modality_names) != weight_learner.num_modalities:
            raise ValueError(
                f"`modality_names` has {len(modality_names)} names but the learner has "
                f"{weight_learner.num_modalities} modalities."
            )
        if interval < 0:
            raise ValueError(f"`interval` must be >= 0, got {interval}.")
        self.weight_learner = weight_learner
        self.modality_names = [str(n) for n in modality_names]
        self.interval = interval
        self.tag = tag
        self.logger = logging.getLogger(logger_name)
        self.scalars = ScalarWriter(summary_writer, log_dir)
        self._last_iteration = -1

    def attach(self, engine: Engine) -> None:
        """Registers the handler on ``engine``."""
        if self.interval > 0:
            engine.add_event_handler(Events.ITERATION_COMPLETED(every=self.interval), self)
        engine.add_event_handler(Events.EPOCH_COMPLETED, self)

    def weights(self) -> dict[str, float]:
        """The current weights as a name -> weight dict."""
        return dict(zip(self.modality_names, self.weight_learner.weights().detach().cpu().tolist()))

    def __call__(self, engine: Engine) -> None:
        if engine.state.iteration == self._last_iteration:
            return
        self._last_iteration = engine.state.iteration
        weights = self.weights()
        engine.state.modality_weights = weights  # type: ignore[attr-defined]
        engine.state.metrics.update({f"{self.tag}/{n}": w for n, w in weights.items()})
        text = ", ".join(f"{n} {w:.4f}" for n, w in weights.items())
        self.logger.info(f"epoch {engine.state.epoch} iteration {engine.state.iteration}: modality weights: {text}")
        self.scalars.write(self.tag, weights, engine.state.iteration)
