from __future__ import annotations

from .metakd_trainer import MetaKDTrainer

__all__ = ["MetaKDTrainer"]
