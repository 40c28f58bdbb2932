"""Progress with time per iteration and time left, in the log: training iterations, cases of an evaluation."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from ignite.engine import Engine, Events
from torch.optim import Optimizer

from metakd_ext.handlers.utils import first_sample

__all__ = ["ProgressLogger", "training_scalars"]

_LOSSES = ("loss", "task_loss", "kd_loss")


def training_scalars(
    optimizer: Optimizer | None = None, prefix: str = ""
) -> Callable[[Mapping | Sequence[Mapping]], dict[str, float]]:
    """An ``output_transform`` for a trainer's ``{"loss", "task_loss", "kd_loss", ...}`` output: those losses (the ones
    present) as floats, and the learning rate of the optimiser's first parameter group as ``lr``, each name after
    ``prefix``; for the console (:class:`ProgressLogger`) and MONAI's ``TensorBoardStatsHandler`` (``prefix="train/"``).
    A decollated output (a list of one such dict per sample, the losses repeated) gives the first sample's.
    """

    def _scalars(output: Mapping | Sequence[Mapping]) -> dict[str, float]:
        losses: Mapping = first_sample(output)
        values = {f"{prefix}{k}": float(losses[k]) for k in _LOSSES if k in losses}
        if optimizer is not None:
            values[f"{prefix}lr"] = float(optimizer.param_groups[0]["lr"])
        return values

    return _scalars


def _duration(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


class ProgressLogger:
    """Logs each iteration (or every ``interval``-th) with the time it took on average and the time left.

    For a trainer (``output_transform`` given, e.g. :func:`training_scalars`) a line is the epoch and iteration, the
    values, the seconds per iteration in this epoch and the time left in the epoch and in the run (from the run's
    own pace since it started or resumed, validation included)::

        Epoch: 3/100, Iter: 12/40 -- loss: 0.5312 task_loss: 0.5 kd_loss: 0.0312 lr: 0.001 -- 1.21 s/it,
        epoch 0:00:34 left, run 1:02:11 left

    (one line). For an evaluator (validation, evaluation, inference: one case or batch per iteration) a line
    names the case (``case_key`` of the batch) and the time left of this pass::

        inference: case 2/12 (Brats18_CBICA_AME_1) 41.2 s/case, 0:06:52 left

    Args:
        label: what the lines are about (``"validation"``, ``"inference"``); for a trainer the lines start with the
            epoch instead.
        output_transform: engine output -> named scalars to log; None for an evaluator.
        case_key: key of the case names in the batch; None to leave them out.
        unit: what one iteration of an evaluator is (``"case"``, ``"batch"``).
        interval: log every ``interval``-th iteration (and the last of an epoch).
        logger_name: the Python logger.
    """

    def __init__(
        self,
        label: str = "",
        output_transform: Callable[[Any], Mapping[str, float]] | None = None,
        case_key: str | None = None,
        unit: str = "case",
        interval: int = 1,
        logger_name: str = "metakd",
    ) -> None:
        if interval < 1:
            raise ValueError(f"`interval` must be >= 1, got {interval}.")
        self.label = label
        self.output_transform = output_transform
        self.case_key = case_key
        self.unit = unit
        self.interval = interval
        self.logger = logging.getLogger(logger_name)
        self._run_start = self._epoch_start = 0.0
        self._first_iteration = 0

    def attach(self, engine: Engine) -> None:
        """Registers the handler on ``engine``."""
        engine.add_event_handler(Events.STARTED, self._started)
        engine.add_event_handler(Events.EPOCH_STARTED, self._epoch_started)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self)

    def _started(self, engine: Engine) -> None:
        self._run_start = time.perf_counter()
        self._first_iteration = engine.state.iteration

    def _epoch_started(self, engine: Engine) -> None:
        self._epoch_start = time.perf_counter()

    def __call__(self, engine: Engine) -> None:
        length = int(engine.state.epoch_length or 1)
        done = (engine.state.iteration - 1) % length + 1
        if done % self.interval and done != length:
            return
        now = time.perf_counter()
        per = (now - self._epoch_start) / done
        if self.output_transform is None:
            self.logger.info(
                f"{self.label}: {self._case(engine, done, length)} {per:.1f} s/{self.unit}, "
                f"{_duration(per * (length - done))} left"
            )
            return
        values = " ".join(f"{k}: {v:.4g}" for k, v in self.output_transform(engine.state.output).items())
        total = length * int(engine.state.max_epochs or 1)
        run_done = engine.state.iteration - self._first_iteration
        run_left = (now - self._run_start) / run_done * (total - engine.state.iteration)
        self.logger.info(
            f"Epoch: {engine.state.epoch}/{engine.state.max_epochs}, Iter: {done}/{length} -- {values} -- "
            f"{per:.2f} s/it, epoch {_duration(per * (length - done))} left, run {_duration(run_left)} left"
        )

    def _case(self, engine: Engine, done: int, length: int) -> str:
        """``case 2/12 (name)``; without the name where the batch has no ``case_key``. The batch is a dict of
        collated values, or a list of one dict per case where the engine decollated it."""
        batch = engine.state.batch
        items = batch if isinstance(batch, (list, tuple)) else [batch]
        names: list[str] = []
        for item in items:
            value = item.get(self.case_key) if self.case_key and isinstance(item, Mapping) else None
            if isinstance(value, (list, tuple)):
                names += [str(v) for v in value]
            elif value is not None:
                names.append(str(value))
        shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
        return f"{self.unit} {done}/{length}" + (f" ({shown})" if shown else "")
