from __future__ import annotations

from .array import (
    BratsLabelToRegions,
    InferModalityMask,
    LoadModalities,
    NormalizeModalityIntensity,
    RandDropModality,
    SetModalities,
    modality_indices,
)
from .dictionary import (
    BratsLabelToRegionsd,
    InferModalityMaskd,
    LoadModalitiesd,
    NormalizeModalityIntensityd,
    RandDropModalityd,
    SetModalitiesd,
)

__all__ = [
    "BratsLabelToRegions",
    "BratsLabelToRegionsd",
    "InferModalityMask",
    "InferModalityMaskd",
    "LoadModalities",
    "LoadModalitiesd",
    "NormalizeModalityIntensity",
    "NormalizeModalityIntensityd",
    "RandDropModality",
    "RandDropModalityd",
    "SetModalities",
    "SetModalitiesd",
    "modality_indices",
]
