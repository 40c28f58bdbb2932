from __future__ import annotations

from .decoder_block import DecoderUpBlock
from .modality_fusion import ModalityFusion, fill_missing_modalities
from .modality_teachers import ModalityTeachers
from .modality_weight_learner import ModalityWeightLearner
from .vector_encoders import ImageEncoder, TabularEncoder, modality_encoders

__all__ = [
    "DecoderUpBlock",
    "ImageEncoder",
    "ModalityFusion",
    "ModalityTeachers",
    "ModalityWeightLearner",
    "TabularEncoder",
    "fill_missing_modalities",
    "modality_encoders",
]
