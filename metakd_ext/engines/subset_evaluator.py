"""The base of the missing-modality evaluations: every case under every modality subset it has."""

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
from metakd_ext.utils.availability import ModalityInputs, parse_subsets, subset_masks, subset_name
from metakd_ext.utils.enums import BatchKey
from metakd_ext.utils.modules import unwrap

__all__ = ["SubsetEvaluator"]

logger = logging.getLogger("metakd")


class SubsetEvaluator(Evaluator):
    """Predicts each case of a batch under each requested modality subset that it has, and scores it.

    The inputs and the (B, M) availability come from ``prepare_batch``
    (:class:`~metakd_ext.engines.PrepareModalityBatch`); :func:`~metakd_ext.utils.subset_masks` gives each case's
    mask under each subset, all False where the case lacks a modality of the subset (then it is not scored on it).
    A subclass overrides :meth:`predict` (the network under the masks) and :meth:`score` (one case, one subset).
    The rows, one per case and subset (``case_key``, ``subset``, ``available`` and the scores), collect in
    ``engine.state.rows``; :class:`~metakd_ext.handlers.SubsetReportWriter` writes them.

    Args:
        device: device of the network.
        val_data_loader: batches with the inputs, ``label`` (optional), ``modality_mask`` and the case names.
        network: the network; the subclass says what it must provide. A ``DistributedDataParallel`` or
            ``DataParallel`` wrapper is removed (the evaluation calls the network's own methods and computes no
            gradient).
        modality_names: the M modality names in mask order.
        subsets: subset names (``"flair+t1ce"``), ``"all"`` for every non-empty subset, or ``"available"`` for
            each case's own modalities (:func:`~metakd_ext.utils.parse_subsets`).
        prepare_batch: default :class:`~metakd_ext.engines.PrepareModalityBatch` (``image`` key).
        case_key: batch key of the case names; also the first column of the rows.
        amp: autocast the inference.
        val_handlers: handlers with ``attach``.
        kwargs: further arguments of MONAI's ``Evaluator``.

    Raises:
        ValueError: an unknown subset name.
    """

    def __init__(
        self,
        device: torch.device | str,
        val_data_loader: Iterable,
        network: nn.Module,
        modality_names: Sequence[str],
        subsets: str | Sequence[str] = "all",
        prepare_batch: PrepareModalityBatch | None = None,
        case_key: str = BatchKey.CASE,
        amp: bool = False,
        val_handlers: Sequence | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            device=device,
            val_data_loader=val_data_loader,
            prepare_batch=prepare_batch or PrepareModalityBatch(case_key=case_key),
            amp=amp,
            val_handlers=val_handlers,
            decollate=False,
            **kwargs,
        )
        self.network = unwrap(network)
        self.modality_names = [str(n) for n in modality_names]
        self.subsets = parse_subsets(subsets, self.modality_names)
        self.case_key = str(case_key)
        self.add_event_handler(Events.STARTED, self._reset_rows)

    @staticmethod
    def _reset_rows(engine: Engine) -> None:
        engine.state.rows = []  # type: ignore[attr-defined]

    def predict(
        self, inputs: ModalityInputs, available: torch.Tensor, masks: torch.Tensor
    ) -> dict[str, tuple[list[int], torch.Tensor]]:
        """The network's outputs under the subsets; runs without gradients, under autocast when ``amp``.

        Args:
            inputs: the batch's inputs as ``prepare_batch`` gives them.
            available: (B, M) bool availability.
            masks: (B, S, M) bool mask of each case under each of the S :attr:`subsets`, all False where the case
                is not scored on the subset.

        Returns:
            Subset name -> (the cases predicted, their outputs stacked along the first dimension).
        """
        raise NotImplementedError

    def score(
        self, output: torch.Tensor, label: torch.Tensor | None, inputs: ModalityInputs, index: int, case: str
    ) -> dict[str, Any]:
        """The score columns of one case under one subset.

        Args:
            output: the case's output under the subset (one entry of :meth:`predict`'s stack).
            label: the batch's labels, or None.
            inputs: the batch's inputs.
            index: the case's index in the batch.
            case: the case's name, for messages.
        """
        raise NotImplementedError

    def _iteration(self, engine: SubsetEvaluator, batchdata: dict) -> dict:
        """Predicts and scores the cases of one batch under every subset each has."""
        if batchdata is None:
            raise ValueError("Must provide batch data for current iteration.")
        inputs, label, _, kwargs = engine.prepare_batch(
            batchdata, engine.state.device, engine.non_blocking, **engine.to_kwargs
        )
        available = kwargs[BatchKey.MASK]
        masks = subset_masks(engine.subsets, engine.modality_names, available)
        count = available.shape[0]
        cases = [str(c) for c in batchdata.get(engine.case_key, [f"#{i}" for i in range(count)])]
        engine.network.eval()
        with torch.no_grad(), torch.autocast(torch.device(engine.state.device).type, enabled=bool(engine.amp)):
            outputs = engine.predict(inputs, available, masks)
        engine.fire_event(IterationEvents.FORWARD_COMPLETED)
        names = [subset_name(a, engine.modality_names) for a in available.cpu()]
        scored = masks.any(dim=2).sum(dim=1).tolist()
        rows: list[dict] = []
        for subset in engine.subsets:
            indices, stacked = outputs.get(subset, ([], None))
            for index, output in zip(indices, stacked if stacked is not None else []):
                record = {engine.case_key: cases[index], "subset": subset, "available": names[index]}
                record.update(engine.score(output, label, inputs, index, cases[index]))
                rows.append(record)
        for case, name, n in zip(cases, names, scored):
            lacking = (
                f" (it lacks a modality of the other {len(engine.subsets) - n})" if n < len(engine.subsets) else ""
            )
            logger.info(f"{engine.case_key} {case} ({name}): {n} of {len(engine.subsets)} subsets scored{lacking}")
        engine.state.rows.extend(rows)
        engine.state.output = {Keys.IMAGE: inputs, Keys.LABEL: label, Keys.PRED: outputs}
        engine.fire_event(IterationEvents.MODEL_COMPLETED)
        return engine.state.output
