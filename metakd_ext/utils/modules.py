"""The module inside a data-parallel wrapper."""

from __future__ import annotations

from typing import Any

from torch import nn

__all__ = ["unwrap"]


def unwrap(obj: Any) -> Any:
    """``obj`` without a ``DataParallel`` / ``DistributedDataParallel`` wrapper: the wrapped module, whose state dict
    and methods (``encode``, ``decode``) are the network's own."""
    return obj.module if isinstance(obj, (nn.DataParallel, nn.parallel.DistributedDataParallel)) else obj
