"""The one place where a batch becomes the network's input and the availability mask leaves the batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from monai.engines.utils import PrepareBatch

from metakd_ext.utils.availability import (
    ModalityInputs,
    check_modality_mask,
    infer_modality_mask,
    resolve_modality_mask,
)
from metakd_ext.utils.enums import BatchKey

__all__ = ["PrepareModalityBatch"]


class PrepareModalityBatch(PrepareBatch):
    """Gathers the network input of a batch, its label and its (B, M) availability mask, for every engine.

    MONAI's engines call ``network(inputs, *args, **kwargs)`` with what ``prepare_batch`` returns, as
    ``PrepareBatchExtraInput`` does; here the extra input is ``modality_mask``. The trainer, the validation, the
    subset evaluators and inference all take the mask from here and nowhere else, so this is the one place it is
    read from the batch, inferred where the batch has none (all-zero modalities are missing), and checked.

    Args:
        modalities: None for one (B, M, *spatial) tensor under ``image_key`` (one channel per modality); or the
            batch keys of the M modalities, in mask order, gathered into the ``{modality: (B, *shape_m)}`` input
            of a :class:`~metakd_ext.networks.MultiEncoderClassifier`.
        image_key: batch key of the stacked image when ``modalities`` is None.
        label_key: batch key of the target; absent or not a tensor (inference: the unloaded path) gives None, as in
            MONAI's ``default_prepare_batch``.
        mask_key: batch key of the (B, M) availability mask.
        case_key: batch key of the case names, for the message when a case has no modality.

    Example::

        prepare_batch = PrepareModalityBatch()  # BraTS: batch["image"] (B, 4, H, W, D)
        inputs, label, args, kwargs = prepare_batch(batch, device)  # kwargs == {"modality_mask": (B, 4) bool}
        logits = network(inputs, *args, **kwargs)
    """

    def __init__(
        self,
        modalities: Sequence[str] | None = None,
        image_key: str = BatchKey.IMAGE,
        label_key: str = BatchKey.LABEL,
        mask_key: str = BatchKey.MASK,
        case_key: str = BatchKey.CASE,
    ) -> None:
        self.modalities = None if modalities is None else [str(m) for m in modalities]
        self.image_key = str(image_key)
        self.label_key = str(label_key)
        self.mask_key = str(mask_key)
        self.case_key = str(case_key)

    def __call__(
        self,
        batchdata: dict[str, Any],
        device: str | torch.device | None = None,
        non_blocking: bool = False,
        **kwargs: Any,
    ) -> tuple[ModalityInputs, torch.Tensor | None, tuple, dict[str, torch.Tensor]]:
        """
        Returns:
            ``(inputs, label, (), {"modality_mask": mask})`` on ``device``: inputs (B, M, *spatial) (a MetaTensor
            stays one) or {modality: (B, *shape_m)} float, label as batched or None, mask (B, M) bool.

        Raises:
            KeyError: an input key is absent from the batch; the message says which transform provides it.
            ValueError: the mask does not fit the inputs, or a case has no available modality.
        """

        def to(value: Any) -> torch.Tensor:
            return torch.as_tensor(value).to(device=device, non_blocking=non_blocking, **kwargs)

        keys = [self.image_key] if self.modalities is None else self.modalities
        absent = [k for k in keys if k not in batchdata]
        if absent:
            raise KeyError(
                f"batch lacks input keys {absent}; missing modalities need placeholder values and a mask "
                "(metakd_ext.transforms.LoadModalitiesd or FillMissingModalitiesd)."
            )
        inputs: ModalityInputs
        if self.modalities is None:
            image = batchdata[self.image_key]
            inputs = image.to(device=device, non_blocking=non_blocking, **kwargs)
        else:
            inputs = {m: to(batchdata[m]).float() for m in self.modalities}
        label = batchdata.get(self.label_key)
        label = (
            label.to(device=device, non_blocking=non_blocking, **kwargs) if isinstance(label, torch.Tensor) else None
        )
        given = batchdata.get(self.mask_key)
        mask = infer_modality_mask(inputs) if given is None else resolve_modality_mask(inputs, to(given))
        cases = batchdata.get(self.case_key)
        check_modality_mask(mask, None if cases is None else [str(c) for c in cases])
        return inputs, label, (), {BatchKey.MASK.value: mask}
