from __future__ import annotations

from .checkpoint_saver import FinalModelSaver, SaveWhen, StateDictSaver
from .modality_weights import WEIGHT_TAG, ModalityWeightsHandler
from .non_finite_loss import StopOnNonFiniteLoss
from .progress import ProgressLogger, training_scalars
from .scalar_writer import ScalarWriter
from .subset_report import SubsetReportWriter
from .teacher_election import TeacherElectionHandler
from .tracking_params import TrackingParams, tracking_handlers
from .training_state import TrainingStateSaver, random_sources
from .utils import from_engine_channel

__all__ = [
    "FinalModelSaver",
    "ModalityWeightsHandler",
    "ProgressLogger",
    "SaveWhen",
    "ScalarWriter",
    "StateDictSaver",
    "StopOnNonFiniteLoss",
    "SubsetReportWriter",
    "TeacherElectionHandler",
    "TrackingParams",
    "TrainingStateSaver",
    "WEIGHT_TAG",
    "from_engine_channel",
    "random_sources",
    "tracking_handlers",
    "training_scalars",
]
