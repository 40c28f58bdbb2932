from __future__ import annotations

from .metakd_trainer import MetaKDTrainer
from .subset_evaluator import SubsetEvaluator

__all__ = ["MetaKDTrainer", "SubsetEvaluator"]
