from __future__ import annotations

from .checkpoint import load_bundle_checkpoint, load_checkpoint
from .enums import KDDistance, MetaMode, PairReduction, StrEnum, WeightInit, look_up
from .modality_mask import (
    ModalityInputs,
    apply_modality_mask,
    batch_size_of,
    infer_modality_mask,
    resolve_modality_mask,
)
from .subsets import all_subsets, parse_subsets, subset_mask, subset_name

__all__ = [
    "KDDistance",
    "MetaMode",
    "PairReduction",
    "StrEnum",
    "WeightInit",
    "look_up",
    "load_bundle_checkpoint",
    "load_checkpoint",
    "all_subsets",
    "parse_subsets",
    "subset_mask",
    "subset_name",
    "ModalityInputs",
    "apply_modality_mask",
    "batch_size_of",
    "infer_modality_mask",
    "resolve_modality_mask",
]
