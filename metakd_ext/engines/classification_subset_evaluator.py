"""Evaluation of a multi-modal classifier under every modality subset."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from ignite.engine import Engine, Events
from monai.engines import Evaluator
from monai.engines.utils import IterationEvents
from monai.utils import CommonKeys as Keys
from torch import nn

from metakd_ext.engines.prepare_batch import PrepareModalityBatch
from metakd_ext.utils.modality_mask import resolve_modality_mask
from metakd_ext.utils.subsets import parse_subsets, subset_mask, subset_name

__all__ = ["ClassificationSubsetEvaluator"]

logger = logging.getLogger("metakd")


class ClassificationSubsetEvaluator(Evaluator):
    """Predicts every subject under each modality subset it has, encoding each subject once.

    Per batch, every available modality is encoded once (``network.encode``) and only the fusion and head
    (``network.classify``) run per subset, on the subjects that have all of the subset's modalities; the others
    are not scored on that subset. One row per subject and subset collects in ``engine.state.rows``: subject,
    subset, available modalities, true class, one probability per class and the predicted class. A handler such
    as :class:`~metakd_ext.handlers.SubsetReportWriter` (``kind="classification"``) writes the files.

    Args:
        device: device of the network.
        val_data_loader: batches with one key per modality, ``label``, ``modality_mask`` and the subject id.
        network: a network with ``encode`` and ``classify`` (:class:`~metakd_ext.networks.MultiEncoderClassifier`).
        modality_names: the M modality names (batch keys) in mask order.
        class_names: the class names in class-index order.
        subsets: subset names, or ``"all"`` for every non-empty subset (2^M - 1).
        amp: autocast the inference.
        val_handlers: handlers with ``attach``.
        subject_key: batch key of the subject id.
        mask_key: batch key of the availability mask.

    Raises:
        ValueError: an unknown subset name.
    """

    def __init__(
        self,
        device: torch.device | str,
        val_data_loader: Iterable,
        network: nn.Module,
        modality_names: Sequence[str],
        class_names: Sequence[str],
        subsets: str | Sequence[str] = "all",
        amp: bool = False,
        val_handlers: Sequence | None = None,
        subject_key: str = "subject",
        mask_key: str = "modality_mask",
        **kwargs: Any,
    ) -> None:
        self.modality_names = [str(n) for n in modality_names]
        super().__init__(
            device=device,
            val_data_loader=val_data_loader,
            amp=amp,
            val_handlers=val_handlers,
            decollate=False,
            prepare_batch=PrepareModalityBatch(self.modality_names, mask_key=mask_key),
            **kwargs,
        )
        self.network = network
        self.class_names = [str(c) for c in class_names]
        self.subsets = parse_subsets(subsets, self.modality_names)
        self.subset_masks = {s: subset_mask(s, self.modality_names) for s in self.subsets}
        self.subject_key = subject_key
        self.add_event_handler(Events.STARTED, self._reset_rows)

    @staticmethod
    def _reset_rows(engine: Engine) -> None:
        engine.state.rows = []  # type: ignore[attr-defined]

    def _iteration(self, engine: ClassificationSubsetEvaluator, batchdata: dict) -> dict:
        """Predicts and records one batch of subjects under every subset each has."""
        if batchdata is None:
            raise ValueError("Must provide batch data for current iteration.")
        inputs, label, _, kwargs = engine.prepare_batch(batchdata, engine.state.device, engine.non_blocking)
        available = resolve_modality_mask(inputs, kwargs.get("modality_mask"))
        subjects = [str(s) for s in batchdata.get(engine.subject_key, [f"#{i}" for i in range(available.shape[0])])]
        network: Any = engine.network
        network.eval()
        probs: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        with torch.no_grad(), torch.autocast(torch.device(engine.state.device).type, enabled=bool(engine.amp)):
            features, available = network.encode(inputs, available)
            for subset, m in engine.subset_masks.items():
                m = m.to(available.device)
                rows = (~(m & ~available)).all(dim=1).nonzero(as_tuple=True)[0]
                if rows.numel() == 0:
                    continue
                logits = network.classify(features[rows], m[None].expand(rows.numel(), -1))
                probs[subset] = (rows.cpu(), logits.float().softmax(dim=1).cpu())
        engine.fire_event(IterationEvents.FORWARD_COMPLETED)
        names = [subset_name(row, engine.modality_names) for row in available.cpu()]
        for subset in engine.subsets:
            if subset not in probs:
                continue
            rows, p = probs[subset]
            for i, prob in zip(rows.tolist(), p):
                record: dict = {"subject": subjects[i], "subset": subset, "available": names[i]}
                record["label"] = engine.class_names[int(label[i])] if label is not None else ""
                record.update({f"prob_{c}": float(v) for c, v in zip(engine.class_names, prob.tolist())})
                record["predicted"] = engine.class_names[int(prob.argmax())]
                engine.state.rows.append(record)
        engine.state.output = {Keys.IMAGE: inputs, Keys.LABEL: label, Keys.PRED: probs}
        engine.fire_event(IterationEvents.MODEL_COMPLETED)
        return engine.state.output
