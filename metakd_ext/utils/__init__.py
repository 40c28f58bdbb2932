from __future__ import annotations

from .enums import KDDistance, MetaMode, PairReduction, StrEnum, WeightInit, look_up
from .modality_mask import infer_modality_mask, resolve_modality_mask

__all__ = [
    "KDDistance",
    "MetaMode",
    "PairReduction",
    "StrEnum",
    "WeightInit",
    "look_up",
    "infer_modality_mask",
    "resolve_modality_mask",
]
