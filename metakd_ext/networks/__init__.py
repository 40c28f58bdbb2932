from __future__ import annotations

from .blocks import (
    ImageEncoder,
    ModalityFusion,
    ModalityTeachers,
    ModalityWeightLearner,
    TabularEncoder,
    fill_missing_modalities,
    modality_encoders,
)
from .export import export_segmentation_network, static_graph
from .kd_scales import resolve_kd_scales
from .nets import ModalityEncoder, MultiEncoderClassifier, MultiEncoderUNet

__all__ = [
    "ImageEncoder",
    "ModalityEncoder",
    "ModalityFusion",
    "ModalityTeachers",
    "ModalityWeightLearner",
    "MultiEncoderClassifier",
    "MultiEncoderUNet",
    "TabularEncoder",
    "export_segmentation_network",
    "fill_missing_modalities",
    "modality_encoders",
    "resolve_kd_scales",
    "static_graph",
]
