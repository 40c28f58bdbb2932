from __future__ import annotations

from .array import (
    AudioMFCC,
    BratsLabelToRegions,
    InferModalityMask,
    LoadModalities,
    NormalizeModalityIntensity,
    NormalizeTabular,
    RandDropModality,
    RegionsToBratsLabel,
    SetModalities,
)
from .dictionary import (
    AudioMFCCd,
    BratsLabelToRegionsd,
    FillMissingModalitiesd,
    InferModalityMaskd,
    LoadModalitiesd,
    NormalizeModalityIntensityd,
    NormalizeTabulard,
    RandDropModalityd,
    RegionsToBratsLabeld,
    SetModalitiesd,
)

__all__ = [
    "AudioMFCC",
    "AudioMFCCd",
    "BratsLabelToRegions",
    "BratsLabelToRegionsd",
    "FillMissingModalitiesd",
    "InferModalityMask",
    "InferModalityMaskd",
    "LoadModalities",
    "LoadModalitiesd",
    "NormalizeModalityIntensity",
    "NormalizeModalityIntensityd",
    "NormalizeTabular",
    "NormalizeTabulard",
    "RandDropModality",
    "RandDropModalityd",
    "RegionsToBratsLabel",
    "RegionsToBratsLabeld",
    "SetModalities",
    "SetModalitiesd",
]
