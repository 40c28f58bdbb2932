"""Availability masks: which modalities a sample has.

Inputs come in two forms: one (B, M, *spatial) tensor with a channel per modality (segmentation), or a mapping
``{modality: (B, *shape_m)}`` in modality order, for modalities of different kinds (an image and a table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

import torch

__all__ = ["ModalityInputs", "apply_modality_mask", "batch_size_of", "infer_modality_mask", "resolve_modality_mask"]

ModalityInputs: TypeAlias = "torch.Tensor | Mapping[str, torch.Tensor]"
"""(B, M, *spatial) tensor, or {modality: (B, *shape_m)} in modality order."""


def batch_size_of(x: ModalityInputs) -> int:
    """B of a tensor or a modality mapping."""
    if isinstance(x, Mapping):
        if not x:
            raise ValueError("the modality mapping is empty; it needs one entry per modality.")
        return int(next(iter(x.values())).shape[0])
    return int(x.shape[0])


def _num_modalities(x: ModalityInputs) -> int:
    return len(x) if isinstance(x, Mapping) else int(x.shape[1])


def _device_of(x: ModalityInputs) -> torch.device:
    return next(iter(x.values())).device if isinstance(x, Mapping) else x.device


def infer_modality_mask(x: ModalityInputs) -> torch.Tensor:
    """Availability from the input itself: a modality whose values are all zero counts as missing.

    A sample in which every modality is zero (a sliding window in the background) counts as complete, so
    the network still sees a defined input there.

    Args:
        x: (B, M, *spatial) input, one channel per modality, or {modality: (B, *shape_m)}.

    Returns:
        (B, M) bool mask, True where the modality is available.
    """
    if isinstance(x, Mapping):
        mask = torch.stack([v.detach().reshape(v.shape[0], -1).ne(0).any(dim=1) for v in x.values()], dim=1)
    else:
        mask = x.detach().flatten(2).ne(0).any(dim=2)
    empty = ~mask.any(dim=1, keepdim=True)
    return mask | empty


def resolve_modality_mask(x: ModalityInputs, modality_mask: torch.Tensor | None) -> torch.Tensor:
    """Returns the given availability mask as (B, M) bool on ``x``'s device, or infers it from ``x``.

    Args:
        x: (B, M, *spatial) input or {modality: (B, *shape_m)}.
        modality_mask: None, or a (B, M), (1, M) or (M,) mask of bools or 0/1 values; one row applies to every
            sample (as in sliding-window inference, where the windows of one image form the batch).

    Raises:
        ValueError: the mask does not match ``x`` or leaves a sample with no modality.
    """
    if modality_mask is None:
        return infer_modality_mask(x)
    mask = torch.as_tensor(modality_mask, device=_device_of(x)).bool()
    batch, num_mod = batch_size_of(x), _num_modalities(x)
    if mask.ndim == 1:
        mask = mask.unsqueeze(0)
    if mask.ndim == 2 and mask.shape[0] == 1:
        mask = mask.expand(batch, -1)
    if mask.shape != (batch, num_mod):
        raise ValueError(
            f"`modality_mask` must have shape (B, M) = {(batch, num_mod)} to match the input, got {tuple(mask.shape)}."
        )
    if not bool(mask.any(dim=1).all()):
        raise ValueError("`modality_mask` leaves a sample with no available modality; every sample needs at least one.")
    return mask


def apply_modality_mask(x: ModalityInputs, modality_mask: torch.Tensor) -> ModalityInputs:
    """Zeroes the inputs of missing modalities.

    Args:
        x: (B, M, *spatial) input or {modality: (B, *shape_m)} in modality order.
        modality_mask: (B, M) bool availability.

    Returns:
        The input in the same form, with the values of unavailable modalities set to zero.
    """
    if isinstance(x, Mapping):
        out = {}
        for m, (key, value) in enumerate(x.items()):
            keep = modality_mask[:, m].to(device=value.device, dtype=value.dtype)
            out[key] = value * keep.reshape(-1, *([1] * (value.ndim - 1)))
        return out
    keep = modality_mask.to(device=x.device, dtype=x.dtype)
    return x * keep.reshape(*keep.shape, *([1] * (x.ndim - 2)))
