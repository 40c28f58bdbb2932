"""Modality subsets: names, order and masks."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch

__all__ = ["all_subsets", "parse_subsets", "subset_mask", "subset_name"]


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
        subsets: None or ``"all"`` for every subset, or a list of names such as ``["flair", "t1ce+t2"]``; the
            modalities of a name may come in any order.
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
        parts = [p.strip() for p in str(item).split("+") if p.strip()]
        unknown = [p for p in parts if p not in names]
        if not parts or unknown:
            raise ValueError(
                f"unknown modality subset {item!r}: name modalities from {names} joined with '+', e.g. "
                f"{canonical[len(names)]!r}, or use 'all'."
            )
        chosen.add("+".join(n for n in names if n in parts))
    return [s for s in canonical if s in chosen]


def subset_mask(subset: str, modality_names: Sequence[str]) -> torch.Tensor:
    """(M,) bool mask of a subset name such as ``"flair+t1ce"``."""
    parts = set(subset.split("+"))
    return torch.tensor([str(n) in parts for n in modality_names], dtype=torch.bool)


def subset_name(mask: Sequence[bool] | torch.Tensor, modality_names: Sequence[str]) -> str:
    """Name of the modalities a (M,) mask selects, joined with ``+`` in config order: the inverse of
    :func:`subset_mask`."""
    flags = mask.bool().tolist() if isinstance(mask, torch.Tensor) else [bool(a) for a in mask]
    return "+".join(str(n) for n, a in zip(modality_names, flags) if a)
