from __future__ import annotations

from .classification_subset_evaluator import ClassificationSubsetEvaluator
from .inference_evaluator import (
    SKIPPED_COLUMNS,
    ClassificationInferenceEvaluator,
    InferenceEvaluator,
    SkippedCasesError,
    SkipsUnusableCases,
)
from .metakd_trainer import MetaKDTrainer
from .prepare_batch import PrepareModalityBatch
from .segmentation_subset_evaluator import SegmentationSubsetEvaluator
from .subset_evaluator import SubsetEvaluator

__all__ = [
    "SKIPPED_COLUMNS",
    "ClassificationInferenceEvaluator",
    "ClassificationSubsetEvaluator",
    "InferenceEvaluator",
    "MetaKDTrainer",
    "PrepareModalityBatch",
    "SegmentationSubsetEvaluator",
    "SkippedCasesError",
    "SkipsUnusableCases",
    "SubsetEvaluator",
]
