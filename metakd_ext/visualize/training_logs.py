"""What a training run logged to TensorBoard, read back: its losses at the start and the end (did distillation
act?) and the first logged value of a series (where did the modality weights start?)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import SCALARS, EventAccumulator

__all__ = ["LOSS_TAGS", "LOSS_COLUMNS", "first_logged", "read_scalars", "training_loss_summary"]

LOSS_TAGS = {"task_loss": "train/task_loss", "kd_loss": "train/kd_loss"}
"""The summarised losses by the TensorBoard tags the bundles' trainers write them under
(:func:`~metakd_ext.handlers.training_scalars` with ``prefix="train/"``): the task loss and the distillation
term before ``kd_weight`` (the sum over teacher -> student pairs of the pair's weight times the L1 distance between
their features where the network distils: a U-Net's bottleneck, a classifier's modality vectors), which a run
without distillation (``kd_weight`` 0) logs as well."""

LOSS_COLUMNS = [f"{name}_{part}" for name in LOSS_TAGS for part in ("first", "last")]
"""The keys of :func:`training_loss_summary`: each loss's mean over the first and over the last part of the run."""


def read_scalars(log_dir: str | os.PathLike, tags: Sequence[str]) -> dict[str, np.ndarray]:
    """Each tag's values by step from all TensorBoard event files in ``log_dir``.

    Returns:
        tag -> array (steps, 2) of (step, value), sorted by step (a step logged twice, e.g. by a resumed run, keeps
        the value of the file started last); tags that no file holds are left out.
    """
    files = [
        EventAccumulator(str(path), size_guidance={SCALARS: 0}) for path in Path(log_dir).glob("events.out.tfevents.*")
    ]
    for events in files:
        events.Reload()
    found: dict[str, dict[int, float]] = {}
    # by when each file was started: its name's counter sorts as text ("...10" before "...9") and within a second
    for events in sorted(files, key=_started):
        for tag in set(tags) & set(events.Tags()[SCALARS]):
            found.setdefault(tag, {}).update({e.step: e.value for e in events.Scalars(tag)})
    return {tag: np.array(sorted(by_step.items()), dtype=np.float64).reshape(-1, 2) for tag, by_step in found.items()}


def _started(events: EventAccumulator) -> float:
    """The wall time of an event file's first event (the file version, written when its writer opened it); an empty
    file counts as started first, having nothing to override."""
    try:
        return float(events.FirstEventTimestamp())
    except ValueError:
        return -math.inf


def first_logged(log_dir: str | os.PathLike, prefix: str, names: Sequence[str]) -> tuple[int, dict[str, float]] | None:
    """The first logged values of the series ``<prefix>/<name>`` (e.g. the modality weights
    :class:`~metakd_ext.handlers.ModalityWeightsHandler` writes), written together at each step.

    Returns:
        The first step of the series and name -> each series' value there (or its first after it), or None where a
        series is missing (a run that did not log them).
    """
    tags = [f"{prefix}/{n}" for n in names]
    scalars = read_scalars(log_dir, tags)
    if len(scalars) < len(tags):
        return None
    step = max(scalars[t][0, 0] for t in tags)
    return int(step), {n: float(scalars[t][scalars[t][:, 0] >= step][0, 1]) for n, t in zip(names, tags)}


def training_loss_summary(log_dir: str | os.PathLike, fraction: float = 0.1) -> dict[str, float] | None:
    """The task loss and the distillation term of a run, each averaged over the first and over the last
    ``fraction`` of the iterations it logged (at least one iteration each).

    Distillation that acts shows as a distillation term that falls far below the same term of the run without it
    (``nokd`` logs it untrained); a term that falls to near zero early has stopped shaping the training.

    Args:
        log_dir: the run's TensorBoard folder (a bundle's ``output_dir``).
        fraction: the part of the run at each end, in (0, 0.5].

    Returns:
        :data:`LOSS_COLUMNS` -> value (NaN for a loss the run did not log), or None where it logged neither (a run
        made before the bundles wrote these tags).

    Raises:
        ValueError: ``fraction`` is out of range.
    """
    if not 0 < fraction <= 0.5:
        raise ValueError(f"`fraction` must be in (0, 0.5], got {fraction}.")
    scalars = read_scalars(log_dir, list(LOSS_TAGS.values()))
    if not scalars:
        return None
    summary = {}
    for name, tag in LOSS_TAGS.items():
        values = scalars[tag][:, 1] if tag in scalars else np.zeros(0)
        part = max(1, math.ceil(fraction * values.size))
        summary[f"{name}_first"] = float(values[:part].mean()) if values.size else math.nan
        summary[f"{name}_last"] = float(values[-part:].mean()) if values.size else math.nan
    return summary
