from __future__ import annotations

from .blocks import (
    ImageEncoder,
    ModalityFusion,
    ModalityWeightLearner,
    TabularEncoder,
    fill_missing_modalities,
    modality_encoders,
)
from .nets import ModalityEncoder, MultiEncoderClassifier, MultiEncoderUNet

__all__ = [
    "ImageEncoder",
    "ModalityEncoder",
    "ModalityFusion",
    "ModalityWeightLearner",
    "MultiEncoderClassifier",
    "MultiEncoderUNet",
    "TabularEncoder",
    "fill_missing_modalities",
    "modality_encoders",
]
