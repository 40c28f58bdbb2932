"""Saves state-dict checkpoints atomically: a failed write never replaces a good checkpoint."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import torch
from ignite.engine import Engine, Events
from torch import nn

from metakd_ext.data.io import atomic_write
from metakd_ext.utils.enums import StrEnum, look_up

__all__ = ["SaveWhen", "StateDictSaver"]


class SaveWhen(StrEnum):
    """When :class:`StateDictSaver` writes."""

    BEST = "best"
    EPOCH = "epoch"
    COMPLETED = "completed"


class StateDictSaver:
    """Writes ``{name: obj.state_dict()}`` for a dict of modules or optimisers, loadable with ``weights_only=True``.

    The file is written beside its destination and moved onto it in one step, so an interrupted write leaves the
    previous checkpoint intact (MONAI's ``CheckpointSaver`` writes in place). ``DistributedDataParallel`` and
    ``DataParallel`` wrappers are removed.

    Args:
        save_dir: folder of the checkpoint.
        save_dict: name -> object with ``state_dict()``.
        filename: file name, e.g. ``model.pt``.
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
        out = {}
        for name, obj in self.save_dict.items():
            if isinstance(obj, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
                obj = obj.module
            out[name] = obj.state_dict()  # type: ignore[attr-defined]
        return out

    def save(self) -> None:
        """Writes the checkpoint now."""
        content = self.state_dict()
        atomic_write(self.path, lambda tmp: torch.save(content, tmp))

    def __call__(self, engine: Engine) -> None:
        detail = ""
        if self.when == SaveWhen.BEST:
            metric = engine.state.metrics.get(str(getattr(engine.state, "key_metric_name", "")))
            if metric is None or engine.state.epoch < self.min_epoch or not float(metric) > self.best_metric:
                return
            self.best_metric = float(metric)
            detail = f" (key metric {self.best_metric:.4f})"
        self.save()
        self.logger.info(f"epoch {engine.state.epoch}: saved {self.path}{detail}")
