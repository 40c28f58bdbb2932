from __future__ import annotations

from .checkpoint_saver import FinalModelSaver, SaveWhen, StateDictSaver
from .class_prediction_writer import ClassPredictionWriter
from .modality_weights import ModalityWeightsHandler
from .subset_report import ReportKind, SubsetReportWriter
from .utils import from_engine_channel

__all__ = [
    "ClassPredictionWriter",
    "FinalModelSaver",
    "ModalityWeightsHandler",
    "ReportKind",
    "SaveWhen",
    "StateDictSaver",
    "SubsetReportWriter",
    "from_engine_channel",
]
