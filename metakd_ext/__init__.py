"""MetaKD (meta-learned modality-weighted knowledge distillation) as MONAI components."""

from __future__ import annotations

from . import data, engines, handlers, inferers, losses, metrics, networks, transforms, utils, visualize
from .engines import MetaKDTrainer
from .handlers import ModalityWeightsHandler, from_engine_channel
from .losses import PairwiseModalityKDLoss
from .networks import ModalityFusion, ModalityWeightLearner, MultiEncoderUNet

__version__ = "0.1.0"

__all__ = [
    "MetaKDTrainer",
    "ModalityFusion",
    "ModalityWeightLearner",
    "ModalityWeightsHandler",
    "MultiEncoderUNet",
    "PairwiseModalityKDLoss",
    "data",
    "engines",
    "from_engine_channel",
    "handlers",
    "inferers",
    "metrics",
    "visualize",
    "losses",
    "networks",
    "transforms",
    "utils",
]
