from __future__ import annotations

from .modality_fusion import ModalityFusion, fill_missing_modalities
from .modality_weight_learner import ModalityWeightLearner

__all__ = ["ModalityFusion", "ModalityWeightLearner", "fill_missing_modalities"]
