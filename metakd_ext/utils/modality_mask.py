"""Availability masks: which modalities a sample has."""

from __future__ import annotations

import torch

__all__ = ["infer_modality_mask", "resolve_modality_mask"]


def infer_modality_mask(x: torch.Tensor) -> torch.Tensor:
    """Availability from the input itself: a modality whose channel is all zero counts as missing.

    A sample in which every channel is zero (a sliding window in the background) counts as complete, so
    the network still sees a defined input there.

    Args:
        x: (B, M, *spatial) input, one channel per modality.

    Returns:
        (B, M) bool mask, True where the modality is available.
    """
    mask = x.detach().flatten(2).ne(0).any(dim=2)
    empty = ~mask.any(dim=1, keepdim=True)
    return mask | empty


def resolve_modality_mask(x: torch.Tensor, modality_mask: torch.Tensor | None) -> torch.Tensor:
    """Returns the given availability mask as (B, M) bool on ``x``'s device, or infers it from ``x``.

    Args:
        x: (B, M, *spatial) input.
        modality_mask: None, or a (B, M), (1, M) or (M,) mask of bools or 0/1 values; one row applies to every
            sample (as in sliding-window inference, where the windows of one image form the batch).

    Raises:
        ValueError: the mask does not match ``x`` or leaves a sample with no modality.
    """
    if modality_mask is None:
        return infer_modality_mask(x)
    mask = torch.as_tensor(modality_mask, device=x.device).bool()
    if mask.ndim == 1:
        mask = mask.unsqueeze(0)
    if mask.ndim == 2 and mask.shape[0] == 1:
        mask = mask.expand(x.shape[0], -1)
    if mask.shape != x.shape[:2]:
        raise ValueError(
            f"`modality_mask` must have shape (B, M) = {tuple(x.shape[:2])} to match the input, "
            f"got {tuple(mask.shape)}."
        )
    if not bool(mask.any(dim=1).all()):
        raise ValueError("`modality_mask` leaves a sample with no available modality; every sample needs at least one.")
    return mask
