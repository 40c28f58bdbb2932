from __future__ import annotations

from .pairwise_kd import PairwiseModalityKDLoss

__all__ = ["PairwiseModalityKDLoss"]
