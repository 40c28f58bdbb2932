from __future__ import annotations

from .array import (
    BratsLabelToRegions,
    InferModalityMask,
    LoadModalities,
    NormalizeModalityIntensity,
    RandDropModality,
    RegionsToBratsLabel,
    SetModalities,
    modality_indices,
)
from .dictionary import (
    BratsLabelToRegionsd,
    InferModalityMaskd,
    LoadModalitiesd,
    NormalizeModalityIntensityd,
    RandDropModalityd,
    RegionsToBratsLabeld,
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
    "RegionsToBratsLabel",
    "RegionsToBratsLabeld",
    "SetModalities",
    "SetModalitiesd",
    "modality_indices",
]
