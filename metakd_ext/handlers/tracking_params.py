"""Logs a training run's settings to the MLflow run that MONAI's bundle tracking (``--tracking mlflow``) opened."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ignite.engine import Engine, Events
from monai.handlers import MLFlowHandler

__all__ = ["TrackingParams", "tracking_handlers"]


def tracking_handlers(engine: Engine) -> list[MLFlowHandler]:
    """The ``MLFlowHandler`` instances attached to ``engine`` (none where tracking is off or the handler is disabled,
    as on processes after the first under torchrun).

    ignite has no public listing of an engine's handlers; the bound ``start`` method that ``MLFlowHandler.attach``
    registers for ``Events.STARTED`` is read from ``engine._event_handlers``.
    """
    found = []
    for handler, _, _ in engine._event_handlers.get(Events.STARTED, []):
        owner = getattr(handler, "__self__", None)
        if isinstance(owner, MLFlowHandler) and owner not in found:
            found.append(owner)
    return found


def _param_value(value: Any) -> str:
    """A parameter as MLflow stores it: a string; lists and dicts as JSON, so ``[2, 2, 2]`` reads back as written."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return str(value)


class TrackingParams:
    """Logs the settings that tell runs apart as MLflow parameters of the run the bundle's tracking handler opened.

    MONAI's ``--tracking mlflow`` appends its default ``MLFlowHandler``, which logs ``max_epochs`` and
    ``epoch_length`` alone and takes no parameters from the bundle. This handler, in the trainer's handlers, finds
    that handler on the engine and logs ``params`` into its run, once per run, at the first epoch's start (after
    the tracking handler has opened the run at ``STARTED``), and the executed config as the run's artifact: MONAI
    writes it to ``output_dir/config_<time>.json`` but, when ``output_dir`` is given on the command line, hands its
    handler a path with the config expression's text in it (``/x/runs + '/config_<time>.json'``), so nothing is
    logged (MONAI 1.6.1). Without tracking it does nothing.

    Args:
        params: name -> value, e.g. ``{"method": "@method", "kd_weight": "@kd_weight", "roi_size": "@roi_size"}``
            in the bundle config; lists and dicts are logged as JSON.
        config_dir: the folder MONAI writes the executed config to (the bundle's ``output_dir``); its newest
            ``config_*.json`` is logged as an artifact. None: no artifact.
        logger_name: name of the Python logger.

    Example (train.json)::

        {"_target_": "metakd_ext.handlers.TrackingParams", "params": {"method": "@method", "seed": "@random_seed"}}
    """

    def __init__(self, params: Mapping[str, Any], config_dir: str | None = None, logger_name: str = "metakd") -> None:
        if not params:
            raise ValueError("`params` must name at least one setting to log.")
        self.params = {str(k): _param_value(v) for k, v in params.items()}
        self.config_dir = None if config_dir is None else Path(config_dir)
        self.logger = logging.getLogger(logger_name)
        self._logged = False

    def attach(self, engine: Engine) -> None:
        """Registers the handler on the trainer."""
        engine.add_event_handler(Events.STARTED, self._new_run)
        engine.add_event_handler(Events.EPOCH_STARTED, self)

    def _new_run(self, _engine: Engine) -> None:
        self._logged = False

    def __call__(self, engine: Engine) -> None:
        if self._logged:
            return
        self._logged = True
        runs: list[tuple[MLFlowHandler, str]] = []
        for handler in tracking_handlers(engine):
            if handler.cur_run is not None:
                runs.append((handler, handler.cur_run.info.run_id))
        if not runs:
            return
        configs = (
            sorted(self.config_dir.glob("config_*.json"), key=lambda p: p.stat().st_mtime) if self.config_dir else []
        )
        for handler, run_id in runs:
            handler._log_params(self.params)
            if configs:
                handler.client.log_artifact(run_id, str(configs[-1]))
            logged = f" and the config {configs[-1].name}" if configs else ""
            self.logger.info(f"MLflow run {run_id}: logged {len(self.params)} parameters{logged}")
