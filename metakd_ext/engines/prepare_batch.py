"""Batches of heterogeneous modalities for MONAI's engines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from monai.engines.utils import PrepareBatch

__all__ = ["PrepareModalityBatch"]


class PrepareModalityBatch(PrepareBatch):
    """Gathers one batch key per modality into the ``{modality: tensor}`` input of a
    :class:`~metakd_ext.networks.MultiEncoderClassifier`, and passes the availability mask to the network.

    For a trainer or evaluator of MONAI: ``prepare_batch=PrepareModalityBatch(["mri", "pet", "csf"])``; the
    network is then called as ``network(inputs, modality_mask=mask)``.

    Args:
        modalities: batch keys of the M modalities, in mask order.
        label_key: batch key of the target; absent (inference) gives None.
        mask_key: batch key of the (B, M) availability mask; absent means all-zero inputs are missing.
    """

    def __init__(self, modalities: Sequence[str], label_key: str = "label", mask_key: str = "modality_mask") -> None:
        self.modalities = [str(m) for m in modalities]
        self.label_key = label_key
        self.mask_key = mask_key

    def __call__(
        self,
        batchdata: dict[str, Any],
        device: str | torch.device | None = None,
        non_blocking: bool = False,
        **kwargs: Any,
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor | None, tuple, dict]:
        """
        Returns:
            ``(inputs, label, (), {"modality_mask": mask})`` on ``device``: inputs {modality: (B, *shape_m)}
            float, label (B,) long or None, mask (B, M) bool (or None when the batch has none).

        Raises:
            KeyError: a modality key is absent from the batch; the message says which transform provides it.
        """
        absent = [m for m in self.modalities if m not in batchdata]
        if absent:
            raise KeyError(
                f"batch lacks modality keys {absent}; missing modalities need placeholder values and a mask "
                "(metakd_ext.transforms.FillMissingModalitiesd)."
            )

        def to(value: Any, dtype: torch.dtype) -> torch.Tensor:
            return torch.as_tensor(value).to(device=device, dtype=dtype, non_blocking=non_blocking, **kwargs)

        inputs = {m: to(batchdata[m], torch.float32) for m in self.modalities}
        label = to(batchdata[self.label_key], torch.long) if self.label_key in batchdata else None
        mask = to(batchdata[self.mask_key], torch.bool) if self.mask_key in batchdata else None
        return inputs, label, (), {"modality_mask": mask}
