from __future__ import annotations

from .blocks import ModalityFusion, ModalityWeightLearner, fill_missing_modalities
from .nets import ModalityEncoder, MultiEncoderUNet

__all__ = ["ModalityEncoder", "ModalityFusion", "ModalityWeightLearner", "MultiEncoderUNet", "fill_missing_modalities"]
