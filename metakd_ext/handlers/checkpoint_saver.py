"""Saves state-dict checkpoints atomically: a failed write never replaces a good checkpoint."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import torch
from ignite.engine import Engine, Events

from metakd_ext.utils.checkpoint import companion_path
from metakd_ext.utils.enums import StrEnum, look_up
from metakd_ext.utils.io import atomic_write
from metakd_ext.utils.modules import unwrap

__all__ = ["SaveWhen", "StateDictSaver", "FinalModelSaver"]


class SaveWhen(StrEnum):
    """When :class:`StateDictSaver` writes."""

    BEST = "best"
    EPOCH = "epoch"
    COMPLETED = "completed"


class StateDictSaver:
    """Writes the state dicts of a dict of modules in the model zoo's layout, loadable with ``weights_only=True``.

    The first entry (the network) goes to ``filename`` as its plain state dict, as a model-zoo ``model.pt`` is;
    each further entry ``name`` to its companion file ``<stem>_<name>.pt`` beside it
    (:func:`~metakd_ext.utils.companion_path`; ``model_weight_learner.pt``), companions first, the network last.
    :func:`~metakd_ext.utils.load_checkpoint` reads them back. Each file is written beside its destination and moved
    onto it in one step, so an interrupted write leaves the previous checkpoint intact (MONAI's ``CheckpointSaver``
    writes in place). ``DistributedDataParallel`` and ``DataParallel`` wrappers are removed.

    Args:
        save_dir: folder of the checkpoint.
        save_dict: name -> object with ``state_dict()``; the first is the network.
        filename: file name of the first entry, e.g. ``model.pt``.
        when: ``"best"`` when the engine's key metric (``engine.state.key_metric_name``, higher is better) beats
            its best since ``min_epoch`` (attach to the evaluator), ``"epoch"`` after every epoch, or
            ``"completed"`` when the run ends.
        min_epoch: with ``"best"``, epochs before this one are not candidates; set it to the first epoch of
            missing-modality training so that a model which never saw a missing modality is not kept.
        logger_name: name of the Python logger.
    """

    def __init__(
        self,
        save_dir: str | os.PathLike,
        save_dict: Mapping[str, object],
        filename: str = "model.pt",
        when: SaveWhen | str = SaveWhen.BEST,
        min_epoch: int = 0,
        logger_name: str = "metakd",
    ) -> None:
        if not save_dict:
            raise ValueError("`save_dict` must name at least one object to save.")
        for name, obj in save_dict.items():
            if not hasattr(obj, "state_dict"):
                raise ValueError(f"`save_dict[{name!r}]` has no state_dict(); got {type(obj).__name__}.")
        self.save_dir = Path(save_dir)
        self.save_dict = dict(save_dict)
        self.filename = filename
        self.when = look_up(SaveWhen, when, "when")
        self.min_epoch = min_epoch
        self.best_metric = float("-inf")
        self.best_epoch: int | None = None
        self.scored_epochs: list[int] = []
        self.before_save: list[Callable[[], None]] = []
        """called, in order, before every write (:class:`~metakd_ext.handlers.TrainingStateSaver` moves an earlier
        run's checkpoints aside there, at this run's first write)"""
        self.logger = logging.getLogger(logger_name)

    @property
    def path(self) -> Path:
        return self.save_dir / self.filename

    def attach(self, engine: Engine) -> None:
        """Registers the handler on ``engine``."""
        event = Events.COMPLETED if self.when == SaveWhen.COMPLETED else Events.EPOCH_COMPLETED
        engine.add_event_handler(event, self)

    def state_dict(self) -> dict[str, dict]:
        """The checkpoint content: name -> state dict, wrappers removed."""
        return {name: unwrap(obj).state_dict() for name, obj in self.save_dict.items()}

    def save(self) -> None:
        """Writes the checkpoint now.

        Raises:
            FloatingPointError: a state holds NaN or infinite values; nothing is written, the file on disk is kept.
        """
        content = self.state_dict()
        spoilt = [f"{name}.{key}" for name, state in content.items() for key in _non_finite_entries(state)]
        if spoilt:
            raise FloatingPointError(
                f"not saving {self.path}: {', '.join(spoilt[:3])}{' ...' if len(spoilt) > 3 else ''} hold NaN or "
                "infinite values (the training diverged); the checkpoint on disk is kept."
            )
        for hook in self.before_save:
            hook()
        first, *others = content
        for name in others:
            atomic_write(companion_path(self.path, name), partial(torch.save, content[name]))
        atomic_write(self.path, partial(torch.save, content[first]))

    def __call__(self, engine: Engine) -> None:
        detail = ""
        if self.when == SaveWhen.BEST:
            metric = engine.state.metrics.get(str(getattr(engine.state, "key_metric_name", "")))
            if metric is None:
                return
            self.scored_epochs.append(engine.state.epoch)
            if engine.state.epoch < self.min_epoch or not float(metric) > self.best_metric:
                return
            self.best_metric = float(metric)
            self.best_epoch = engine.state.epoch
            detail = f" (key metric {self.best_metric:.4f})"
        self.save()
        self.logger.info(f"epoch {engine.state.epoch}: saved {self.path}{detail}")

    def why_none(self) -> str:
        """Why a ``"best"`` saver has saved nothing (empty when it has)."""
        if self.best_epoch is not None:
            return ""
        if not self.scored_epochs:
            return "no validation ran (check `val_interval` against `epochs`)"
        candidates = [e for e in self.scored_epochs if e >= self.min_epoch]
        if not candidates:
            return (
                f"no validation ran from epoch {self.min_epoch} on, the first epoch of missing-modality training "
                f"(validated epochs: {', '.join(map(str, self.scored_epochs))})"
            )
        return "the key metric was never a number (NaN) in the validated epochs"


def _non_finite_entries(state: dict, prefix: str = "") -> list[str]:
    """The keys of a (nested) state dict whose floating-point tensors hold NaN or infinite values."""
    out = []
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _non_finite_entries(value, f"{name}.")
        elif isinstance(value, torch.Tensor) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
            out.append(name)
    return out


class FinalModelSaver:
    """Makes every training run leave a model: when the trainer completes, writes its final weights and, where the
    best-checkpoint saver chose nothing in this run, makes the final weights the best file too; logs which file
    holds what, and why.

    ``best.path`` (``models/model.pt``) then always holds this run's model: the best qualifying checkpoint, or the
    final weights when none qualified (validation never ran, or only during the full-modality warm-up), never a
    checkpoint left from an earlier run. Both writes are atomic.

    Args:
        best: the ``"best"`` :class:`StateDictSaver` attached to the validator.
        filename: file of the final weights, beside ``best.path``.
        log_dir: where the TensorBoard logs are, for the closing log line; optional.
    """

    def __init__(self, best: StateDictSaver, filename: str = "model_final.pt", log_dir: str | None = None) -> None:
        if best.when != SaveWhen.BEST:
            raise ValueError(f"`best` must be a StateDictSaver with when='best', got when={best.when!r}.")
        if filename == best.filename:
            raise ValueError(f"`filename` must differ from the best checkpoint's, got {filename!r} for both.")
        self.best = best
        self.final = StateDictSaver(best.save_dir, best.save_dict, filename, SaveWhen.COMPLETED)
        self.final.before_save = best.before_save
        self.log_dir = log_dir

    def attach(self, engine: Engine) -> None:
        """Registers the handler on the trainer."""
        engine.add_event_handler(Events.COMPLETED, self)

    def __call__(self, engine: Engine) -> None:
        self.final.save()
        epoch = engine.state.epoch
        reason = self.best.why_none()
        if reason:
            self.best.save()
            chosen = f"{self.best.path.resolve()} holds the final weights (epoch {epoch}): {reason}"
        else:
            chosen = (
                f"{self.best.path.resolve()} is the best checkpoint (epoch {self.best.best_epoch}, key metric "
                f"{self.best.best_metric:.4f})"
            )
        logs = f"; TensorBoard logs: {Path(self.log_dir).resolve()}" if self.log_dir else ""
        self.best.logger.info(f"best model: {chosen}; final weights (epoch {epoch}): {self.final.path.resolve()}{logs}")
