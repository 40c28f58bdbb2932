"""Stops training at the first non-finite loss, before anything is saved from it."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import torch
from ignite.engine import Engine, Events

from metakd_ext.handlers.utils import first_sample

__all__ = ["StopOnNonFiniteLoss"]


class StopOnNonFiniteLoss:
    """Ends the run with an error at the first iteration whose loss is NaN or infinite.

    Like ignite's ``TerminateOnNan``, but the run fails instead of completing: no handler that saves at the end of
    a run (``FinalModelSaver``) writes the spoilt weights, and the process exits non-zero with the message last.
    Checkpoints written before that iteration are kept.

    Args:
        keys: the entries of the iteration output to check (a dict output; missing entries are skipped).
        logger_name: name of the Python logger.
    """

    def __init__(self, keys: Sequence[str] = ("loss", "meta_loss"), logger_name: str = "metakd") -> None:
        if not keys:
            raise ValueError("`keys` must name at least one entry of the iteration output.")
        self.keys = tuple(keys)
        self.logger = logging.getLogger(logger_name)

    def attach(self, engine: Engine) -> None:
        """Registers the handler on the trainer."""
        engine.add_event_handler(Events.ITERATION_COMPLETED, self)

    def __call__(self, engine: Engine) -> None:
        output = first_sample(engine.state.output)
        if not isinstance(output, dict):
            return
        values = {k: output[k] for k in self.keys if k in output}
        bad = {k: float(torch.as_tensor(v).detach().float().sum()) for k, v in values.items()}
        bad = {k: v for k, v in bad.items() if not math.isfinite(v)}
        if not bad:
            return
        detail = ", ".join(f"{k} {v}" for k, v in bad.items())
        message = (
            f"training stopped at epoch {engine.state.epoch}, iteration {engine.state.iteration}: {detail}. Nothing "
            "is saved from this iteration on; checkpoints written before it are kept. Inputs with NaN or infinite "
            "voxels are refused when loading, so look at the learning rate (lower `learning_rate`) or, with AMP, "
            "an fp16 overflow (run with --amp False)."
        )
        self.logger.error(message)
        raise FloatingPointError(message)
