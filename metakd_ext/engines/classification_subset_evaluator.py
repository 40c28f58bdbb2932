"""Evaluation of a multi-modal classifier under every modality subset."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import nn

from metakd_ext.engines.prepare_batch import PrepareModalityBatch
from metakd_ext.engines.subset_evaluator import SubsetEvaluator
from metakd_ext.utils.availability import ModalityInputs
from metakd_ext.utils.enums import BatchKey

__all__ = ["ClassificationSubsetEvaluator"]


class ClassificationSubsetEvaluator(SubsetEvaluator):
    """Predicts every subject under each modality subset it has, encoding each subject once.

    Per batch, every available modality is encoded once (``network.encode``) and only the fusion and head
    (``network.classify``) run per subset, on the subjects that have all of the subset's modalities. Score columns:
    the true class (empty where the subject has no label), one probability per class and the predicted class.
    With ``subsets="available"`` each subject is predicted on its own modalities: inference.

    Args:
        device: device of the network.
        val_data_loader: batches with one key per modality, ``label`` (optional), ``modality_mask`` and the
            subject ids.
        network: a network with ``encode`` and ``classify`` (:class:`~metakd_ext.networks.MultiEncoderClassifier`).
        modality_names: the M modality names (batch keys) in mask order.
        class_names: the class names in class-index order, one per output of the network.
        subsets: subset names, ``"all"`` (2^M - 1) or ``"available"`` (see :class:`SubsetEvaluator`).
        case_key: batch key of the subject ids.
        kwargs: further arguments of :class:`SubsetEvaluator` (``amp``, ``val_handlers``...).

    Raises:
        ValueError: an unknown subset name; in a run, a network whose outputs do not match ``class_names``.
    """

    def __init__(
        self,
        device: torch.device | str,
        val_data_loader: Iterable,
        network: nn.Module,
        modality_names: Sequence[str],
        class_names: Sequence[str],
        subsets: str | Sequence[str] = "all",
        case_key: str = BatchKey.SUBJECT,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prepare_batch", PrepareModalityBatch(modality_names, case_key=case_key))
        super().__init__(device, val_data_loader, network, modality_names, subsets, case_key=case_key, **kwargs)
        self.class_names = [str(c) for c in class_names]

    def predict(
        self, inputs: ModalityInputs, available: torch.Tensor, masks: torch.Tensor
    ) -> dict[str, tuple[list[int], torch.Tensor]]:
        """Class probabilities of the subjects under each subset: subset -> (subjects, (N, classes))."""
        network: Any = self.network
        features, _ = network.encode(inputs, available)
        out = {}
        for s, subset in enumerate(self.subsets):
            rows = masks[:, s].any(dim=1).nonzero(as_tuple=True)[0]
            if rows.numel() == 0:
                continue
            logits = network.classify(features[rows], masks[rows, s])
            if logits.shape[1] != len(self.class_names):
                raise ValueError(
                    f"the network gives {logits.shape[1]} class scores but `class_names` has {len(self.class_names)} "
                    f"({self.class_names}); give one name per class."
                )
            out[subset] = (rows.tolist(), logits.float().softmax(dim=1).cpu())
        return out

    def score(
        self, output: torch.Tensor, label: torch.Tensor | None, inputs: ModalityInputs, index: int, case: str
    ) -> dict[str, Any]:
        """``label``, ``prob_<class>`` per class and ``predicted`` of one subject's (classes,) probabilities."""
        record: dict[str, Any] = {"label": self.class_names[int(label[index])] if label is not None else ""}
        record.update({f"prob_{c}": float(v) for c, v in zip(self.class_names, output.tolist())})
        record["predicted"] = self.class_names[int(output.argmax())]
        return record
