from __future__ import annotations

from .checkpoint_saver import SaveWhen, StateDictSaver
from .modality_weights import ModalityWeightsHandler
from .utils import from_engine_channel

__all__ = ["ModalityWeightsHandler", "SaveWhen", "StateDictSaver", "from_engine_channel"]
