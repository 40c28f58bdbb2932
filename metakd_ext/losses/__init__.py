from __future__ import annotations

from .pairwise_kd import PairwiseModalityKDLoss, standardize_features

__all__ = ["PairwiseModalityKDLoss", "standardize_features"]
