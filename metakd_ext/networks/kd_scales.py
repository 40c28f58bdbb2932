"""The encoder scales that carry distillation and the meta step's modality weights."""

from __future__ import annotations

from collections.abc import Sequence

from metakd_ext.utils.enums import KDScale, look_up

__all__ = ["resolve_kd_scales"]


def resolve_kd_scales(kd_scales: KDScale | str | int | Sequence[int], num_scales: int) -> list[int]:
    """The sorted, distinct scale indices (0 the finest, ``num_scales - 1`` the bottleneck) that ``kd_scales`` names.

    Args:
        kd_scales: ``"bottleneck"`` (the coarsest scale, the paper's), ``"all"`` (every scale whose fused features
            the decoder reads), or scale indices; negative indices count from the bottleneck (-1).
        num_scales: the network's number of scales (1 for a classifier's modality vectors).

    Raises:
        ValueError: a name is unknown, an index is out of range, or the list is empty.

    Example::

        resolve_kd_scales("all", 4)  # [0, 1, 2, 3]
        resolve_kd_scales([-1, 2], 4)  # [2, 3]
    """
    if isinstance(kd_scales, str):
        if look_up(KDScale, kd_scales, "kd_scales") == KDScale.BOTTLENECK:
            return [num_scales - 1]
        return list(range(num_scales))
    indices = [int(kd_scales)] if isinstance(kd_scales, int) else [int(s) for s in kd_scales]
    bad = [s for s in indices if not -num_scales <= s < num_scales]
    if not indices or bad:
        raise ValueError(
            f"`kd_scales` must be 'bottleneck', 'all' or scale indices in [{-num_scales}, {num_scales - 1}] "
            f"(0 the finest of the network's {num_scales} scales), got {kd_scales!r}."
        )
    return sorted({s % num_scales for s in indices})
