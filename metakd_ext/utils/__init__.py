from __future__ import annotations

from .availability import (
    AVAILABLE,
    ModalityInputs,
    all_subsets,
    apply_modality_mask,
    batch_size_of,
    check_modality_mask,
    infer_modality_mask,
    parse_subsets,
    resolve_modality_mask,
    subset_mask,
    subset_masks,
    subset_name,
)
from .checkpoint import load_bundle_checkpoint, load_checkpoint
from .enums import BatchKey, KDDistance, MetaMode, PairReduction, StrEnum, WeightInit, look_up
from .io import atomic_write, atomic_write_text, csv_text, save_nifti

__all__ = [
    "AVAILABLE",
    "BatchKey",
    "KDDistance",
    "MetaMode",
    "ModalityInputs",
    "PairReduction",
    "StrEnum",
    "WeightInit",
    "all_subsets",
    "apply_modality_mask",
    "atomic_write",
    "atomic_write_text",
    "batch_size_of",
    "check_modality_mask",
    "csv_text",
    "infer_modality_mask",
    "load_bundle_checkpoint",
    "load_checkpoint",
    "look_up",
    "parse_subsets",
    "resolve_modality_mask",
    "save_nifti",
    "subset_mask",
    "subset_masks",
    "subset_name",
]
