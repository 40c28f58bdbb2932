from __future__ import annotations

from .blocks import (
    DecoderUpBlock,
    ImageEncoder,
    ModalityFusion,
    ModalityTeachers,
    ModalityWeightLearner,
    TabularEncoder,
    fill_missing_modalities,
    modality_encoders,
)
from .export import export_segmentation_network, static_graph
from .nets import ModalityEncoder, MultiEncoderClassifier, MultiEncoderUNet
from .scales import resolve_scales

__all__ = [
    "DecoderUpBlock",
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
    "resolve_scales",
    "static_graph",
]
