from __future__ import annotations

from .subset_inferer import SubsetSlidingWindowInferer

__all__ = ["SubsetSlidingWindowInferer"]
