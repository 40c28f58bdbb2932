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
    zero_missing,
)
from .checkpoint import companion_path, load_bundle_checkpoint, load_checkpoint
from .enums import BadImage, BatchKey, KDDistance, MetaMode, PairReduction, StrEnum, WeightInit, look_up
from .errors import end_errors_with_cause, root_cause
from .io import atomic_write, atomic_write_text, csv_text, remove_stale_temporaries, save_nifti
from .modules import process_rank, unwrap
from .run_checks import check_batch_size, check_output_dir, check_training_run

__all__ = [
    "AVAILABLE",
    "BadImage",
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
    "check_batch_size",
    "check_modality_mask",
    "check_output_dir",
    "check_training_run",
    "companion_path",
    "csv_text",
    "end_errors_with_cause",
    "infer_modality_mask",
    "load_bundle_checkpoint",
    "load_checkpoint",
    "look_up",
    "parse_subsets",
    "process_rank",
    "remove_stale_temporaries",
    "resolve_modality_mask",
    "root_cause",
    "save_nifti",
    "subset_mask",
    "subset_masks",
    "subset_name",
    "unwrap",
    "zero_missing",
]
