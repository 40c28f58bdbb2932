"""Writes per-subject class probabilities and predicted classes of an inference run as one CSV."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import torch
from ignite.engine import Engine, Events
from monai.utils import CommonKeys as Keys

from metakd_ext.data.io import atomic_write_text, csv_text
from metakd_ext.utils.subsets import subset_name

__all__ = ["ClassPredictionWriter"]


class ClassPredictionWriter:
    """Collects the (B, K) logits of each iteration and writes ``subject, available, prob_<class>..., predicted``.

    The CSV is written atomically when the engine completes, so an interrupted run leaves an earlier file intact.
    Attach it to a ``SupervisedEvaluator`` run with ``decollate=False``.

    Args:
        output_file: the CSV to write.
        class_names: class names in logit order.
        modality_names: modality names in mask order, for the ``available`` column.
        subject_key: batch key of the subject id.
        mask_key: batch key of the (B, M) availability mask.
        logger_name: name of the Python logger.
    """

    def __init__(
        self,
        output_file: str | os.PathLike,
        class_names: Sequence[str],
        modality_names: Sequence[str],
        subject_key: str = "subject",
        mask_key: str = "modality_mask",
        logger_name: str = "metakd",
    ) -> None:
        self.output_file = Path(output_file)
        self.class_names = [str(c) for c in class_names]
        self.modality_names = [str(m) for m in modality_names]
        self.subject_key = subject_key
        self.mask_key = mask_key
        self.logger = logging.getLogger(logger_name)
        self.rows: list[dict] = []

    def attach(self, engine: Engine) -> None:
        """Registers the handler on ``engine``."""
        engine.add_event_handler(Events.STARTED, self.reset)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self.collect)
        engine.add_event_handler(Events.COMPLETED, self)

    def reset(self, engine: Engine) -> None:
        self.rows = []

    def collect(self, engine: Engine) -> None:
        """Adds the rows of the current batch."""
        logits = engine.state.output[Keys.PRED]  # type: ignore[index]
        probs = torch.as_tensor(logits).detach().float().softmax(dim=1).cpu()
        if probs.ndim != 2 or probs.shape[1] != len(self.class_names):
            raise ValueError(f"expected (B, {len(self.class_names)}) logits, got {tuple(probs.shape)}.")
        batch = engine.state.batch
        subjects = [str(s) for s in batch.get(self.subject_key, [""] * probs.shape[0])]  # type: ignore[union-attr]
        mask = batch.get(self.mask_key)  # type: ignore[union-attr]
        for i, p in enumerate(probs):
            available = "" if mask is None else subset_name(torch.as_tensor(mask[i]), self.modality_names)
            row = {"subject": subjects[i], "available": available}
            row.update({f"prob_{c}": f"{float(v):.6f}" for c, v in zip(self.class_names, p)})
            row["predicted"] = self.class_names[int(p.argmax())]
            self.rows.append(row)
            self.logger.info(f"subject {subjects[i]} ({available}): {row['predicted']}")

    def __call__(self, engine: Engine) -> None:
        columns = ["subject", "available", *(f"prob_{c}" for c in self.class_names), "predicted"]
        atomic_write_text(self.output_file, csv_text(self.rows, columns))
        self.logger.info(f"predictions of {len(self.rows)} subjects written to {self.output_file.resolve()}")
