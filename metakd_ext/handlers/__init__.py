from __future__ import annotations

from .checkpoint_saver import FinalModelSaver, SaveWhen, StateDictSaver
from .modality_weights import ModalityWeightsHandler
from .scalar_writer import ScalarWriter
from .subset_report import SubsetReportWriter
from .teacher_election import TeacherElectionHandler
from .utils import from_engine_channel

__all__ = [
    "FinalModelSaver",
    "ModalityWeightsHandler",
    "SaveWhen",
    "ScalarWriter",
    "StateDictSaver",
    "SubsetReportWriter",
    "TeacherElectionHandler",
    "from_engine_channel",
]
