from __future__ import annotations

from .multi_encoder_classifier import MultiEncoderClassifier
from .multi_encoder_unet import ModalityEncoder, MultiEncoderUNet

__all__ = ["ModalityEncoder", "MultiEncoderClassifier", "MultiEncoderUNet"]
