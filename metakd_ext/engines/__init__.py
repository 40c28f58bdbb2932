from __future__ import annotations

from .classification_subset_evaluator import ClassificationSubsetEvaluator
from .metakd_trainer import MetaKDTrainer
from .prepare_batch import PrepareModalityBatch
from .segmentation_subset_evaluator import SegmentationSubsetEvaluator
from .subset_evaluator import SubsetEvaluator

__all__ = [
    "ClassificationSubsetEvaluator",
    "MetaKDTrainer",
    "PrepareModalityBatch",
    "SegmentationSubsetEvaluator",
    "SubsetEvaluator",
]
