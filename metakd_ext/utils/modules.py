"""Data-parallel training: the module inside a wrapper, the rank of this process."""

from __future__ import annotations

from typing import Any

import torch.distributed as dist
from torch import nn

__all__ = ["process_rank", "unwrap"]


def process_rank() -> int:
    """The rank of this process in ``torch.distributed``; 0 where it is not initialised (one process)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def unwrap(obj: Any) -> Any:
    """``obj`` without a ``DataParallel`` / ``DistributedDataParallel`` wrapper: the wrapped module, whose state dict
    and methods (``encode``, ``decode``) are the network's own."""
    return obj.module if isinstance(obj, (nn.DataParallel, nn.parallel.DistributedDataParallel)) else obj
