"""Which modalities a sample has: the one home of the availability mask and of modality subsets.

The mask is the one form in which availability travels: (B, M) bool for a batch, (M,) bool for one sample, True
where the modality is available, in the order of the config's modality names. It leaves the batch in
:class:`~metakd_ext.engines.PrepareModalityBatch`, which checks it once, and goes as it is to the network, the
distillation loss and the evaluators. A subset name (``"flair+t1ce"``: modality names joined with ``+`` in config
order) is the form for configs, tables and logs; :func:`subset_mask` and :func:`subset_name` convert between them.

Inputs come in two forms: one (B, M, *spatial) tensor with a channel per modality (segmentation), or a mapping
``{modality: (B, *shape_m)}`` in modality order, for modalities of different kinds (an image and a table).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TypeAlias, overload

import numpy as np
import torch
from monai.config import NdarrayOrTensor
from monai.utils import convert_to_tensor

__all__ = [
    "AVAILABLE",
    "ModalityInputs",
    "all_subsets",
    "apply_modality_mask",
    "batch_size_of",
    "channel_mask",
    "check_modality_mask",
    "complete_empty_samples",
    "has_values",
    "infer_modality_mask",
    "parse_subsets",
    "resolve_modality_mask",
    "subset_mask",
    "subset_masks",
    "subset_name",
    "zero_missing",
]

ModalityInputs: TypeAlias = "torch.Tensor | Mapping[str, torch.Tensor]"
"""(B, M, *spatial) tensor, or {modality: (B, *shape_m)} in modality order."""

AVAILABLE = "available"
"""The subset name that stands for each sample's own modalities (inference, or scoring a case on all it has)."""


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
    """Availability from the input itself: a modality whose values are all zero is missing.

    Args:
        x: (B, M, *spatial) input, one channel per modality, or {modality: (B, *shape_m)}.

    Returns:
        (B, M) bool mask on ``x``'s device, True where the modality has a non-zero value.
    """
    if isinstance(x, Mapping):
        return torch.stack([has_values(v) for v in x.values()], dim=1)
    return channel_mask(x)


def has_values(x: torch.Tensor) -> torch.Tensor:
    """(B,) bool: True where a sample of the (B, *shape) input of one modality has a non-zero value.
    TorchScript-compatible."""
    return x.detach().reshape(x.shape[0], -1).ne(0).any(dim=1)


def channel_mask(x: torch.Tensor) -> torch.Tensor:
    """(B, M) bool availability of a (B, M, *spatial) input, True where the channel has a non-zero value.
    TorchScript-compatible, like :func:`complete_empty_samples`."""
    return x.detach().flatten(2).ne(0).any(dim=2)


def complete_empty_samples(mask: torch.Tensor) -> torch.Tensor:
    """A (B, M) inferred mask in which a sample with no modality (a sliding window in the background) counts as
    complete, so that the network sees a defined input there."""
    return mask | ~mask.any(dim=1, keepdim=True)


def resolve_modality_mask(x: ModalityInputs, modality_mask: torch.Tensor | None) -> torch.Tensor:
    """The mask a network works with: the given one as (B, M) bool on ``x``'s device, or one inferred from ``x``.

    Inferred, a sample in which every modality is zero (a sliding window in the background) counts as complete,
    so the network sees a defined input there. A given mask is not checked for empty rows: that happens once,
    where the mask leaves the batch (:func:`check_modality_mask`).

    Args:
        x: (B, M, *spatial) input or {modality: (B, *shape_m)}.
        modality_mask: None, or a (B, M), (1, M) or (M,) mask of bools or 0/1 values; one row applies to every
            sample (as in sliding-window inference, where the windows of one image form the batch).

    Raises:
        ValueError: the mask's shape does not match ``x``.
    """
    if modality_mask is None:
        return complete_empty_samples(infer_modality_mask(x))
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
    return mask


def check_modality_mask(modality_mask: torch.Tensor, cases: Sequence[str] | None = None) -> None:
    """Checks that every sample of a (B, M) mask has at least one modality.

    Raises:
        ValueError: a sample has none; the message names it (``cases``: the B case names, if known).
    """
    empty = (~modality_mask.bool().any(dim=1)).nonzero(as_tuple=True)[0].tolist()
    if empty:
        names = [cases[i] if cases is not None and i < len(cases) else f"#{i}" for i in empty]
        raise ValueError(
            f"cases {', '.join(map(str, names))} have no available modality; every case needs at least one "
            "(remove them from the datalist, or give them a modality)."
        )


@overload
def apply_modality_mask(x: torch.Tensor, modality_mask: torch.Tensor) -> torch.Tensor: ...


@overload
def apply_modality_mask(x: np.ndarray, modality_mask: torch.Tensor) -> np.ndarray: ...


@overload
def apply_modality_mask(x: Mapping[str, torch.Tensor], modality_mask: torch.Tensor) -> dict[str, torch.Tensor]: ...


def apply_modality_mask(
    x: ModalityInputs | NdarrayOrTensor, modality_mask: torch.Tensor
) -> torch.Tensor | np.ndarray | dict[str, torch.Tensor]:
    """Zeroes the inputs of missing modalities.

    Args:
        x: (B, M, *spatial) input or {modality: (B, *shape_m)} in modality order, with a (B, M) mask; or one
            sample's (M, *spatial) image (tensor or array) with an (M,) mask.
        modality_mask: (B, M) or (M,) bool availability.

    Returns:
        The input in the same form and type, with the values of unavailable modalities set to zero.
    """
    if isinstance(x, Mapping):
        out = {}
        for m, (key, value) in enumerate(x.items()):
            keep = modality_mask[..., m].to(device=value.device, dtype=value.dtype)
            out[key] = value * keep.reshape(-1, *([1] * (value.ndim - 1)))
        return out
    if isinstance(x, np.ndarray):
        keep_np = convert_to_tensor(modality_mask).cpu().numpy().astype(x.dtype)
        return x * keep_np.reshape(*keep_np.shape, *([1] * (x.ndim - keep_np.ndim)))
    return zero_missing(x, modality_mask)


def zero_missing(x: torch.Tensor, modality_mask: torch.Tensor) -> torch.Tensor:
    """:func:`apply_modality_mask` of one tensor: (B, M, ...) with a (B, M) mask, or (M, ...) with an (M,) mask,
    the entries of unavailable modalities set to zero. TorchScript-compatible."""
    keep = modality_mask.to(device=x.device, dtype=x.dtype)
    return x * keep.reshape(list(keep.shape) + [1] * (x.ndim - keep.ndim))


def all_subsets(modality_names: Sequence[str]) -> list[str]:
    """Every non-empty subset of the modalities, named ``a+b`` in config order, in the order of the literature's
    tables: singles, pairs, triples ... and the full set last.

    Example::

        all_subsets(["flair", "t1"])  # ["flair", "t1", "flair+t1"]
    """
    names = [str(n) for n in modality_names]
    return [
        "+".join(names[i] for i in combo)
        for k in range(1, len(names) + 1)
        for combo in itertools.combinations(range(len(names)), k)
    ]


def parse_subsets(subsets: str | Sequence[str] | None, modality_names: Sequence[str]) -> list[str]:
    """Validates subset names and returns them in the canonical order of :func:`all_subsets`.

    Args:
        subsets: None or ``"all"`` for every subset; :data:`AVAILABLE` (``"available"``) for each sample's own
            modalities; or a list of names such as ``["flair", "t1ce+t2"]``, in which the modalities of a name may
            come in any order (``"available"`` may be one of them, listed last).
        modality_names: the M modality names in config order.

    Raises:
        ValueError: a name has an unknown modality or is empty; the message lists the valid names.
    """
    canonical = all_subsets(modality_names)
    if subsets is None or subsets == "all":
        return canonical
    items = [subsets] if isinstance(subsets, str) else list(subsets)
    names = [str(n) for n in modality_names]
    chosen = set()
    for item in items:
        if item == AVAILABLE:
            chosen.add(AVAILABLE)
            continue
        parts = [p.strip() for p in str(item).split("+") if p.strip()]
        unknown = [p for p in parts if p not in names]
        if not parts or unknown:
            raise ValueError(
                f"unknown modality subset {item!r}: name modalities from {names} joined with '+', e.g. "
                f"{canonical[min(len(names), len(canonical) - 1)]!r}, or use 'all' or {AVAILABLE!r}."
            )
        chosen.add("+".join(n for n in names if n in parts))
    return [s for s in [*canonical, AVAILABLE] if s in chosen]


def subset_mask(subset: str, modality_names: Sequence[str]) -> torch.Tensor:
    """(M,) bool mask of a subset name such as ``"flair+t1ce"``.

    Raises:
        ValueError: the name has a modality that is not one of ``modality_names``, or none.
    """
    names = [str(n) for n in modality_names]
    parts = [p for p in subset.split("+") if p]
    unknown = [p for p in parts if p not in names]
    if not parts or unknown:
        raise ValueError(f"unknown modality subset {subset!r}: the modalities are {names}, joined with '+'.")
    return torch.tensor([n in parts for n in names], dtype=torch.bool)


def subset_name(mask: Sequence[bool] | torch.Tensor, modality_names: Sequence[str]) -> str:
    """Name of the modalities a (M,) mask selects, joined with ``+`` in config order: the inverse of
    :func:`subset_mask`."""
    flags = mask.bool().tolist() if isinstance(mask, torch.Tensor) else [bool(a) for a in mask]
    return "+".join(str(n) for n, a in zip(modality_names, flags) if a)


def subset_masks(subsets: Sequence[str], modality_names: Sequence[str], available: torch.Tensor) -> torch.Tensor:
    """Each sample's mask under each subset, and so which subsets each sample can be scored on.

    Args:
        subsets: S subset names from :func:`parse_subsets` (:data:`AVAILABLE` is the sample's own mask).
        modality_names: the M modality names in config order.
        available: (B, M) bool availability of the samples.

    Returns:
        (B, S, M) bool: row ``[b, s]`` is the mask of subset ``s`` for sample ``b``, all False where the sample
        lacks a modality of the subset (it cannot be scored on it).
    """
    if not subsets:
        return available.new_zeros(*available.shape[:1], 0, available.shape[1])
    fixed = [available if s == AVAILABLE else subset_mask(s, modality_names).to(available.device) for s in subsets]
    masks = torch.stack([m.expand_as(available) for m in fixed], dim=1)
    usable = ~(masks & ~available[:, None]).any(dim=2, keepdim=True)
    return masks & usable
