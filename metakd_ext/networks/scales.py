"""Which encoder scales of a network an option names: ``kd_scales``, ``fill_scales``, ``skip_scales``."""

from __future__ import annotations

from collections.abc import Sequence

from metakd_ext.utils.enums import KDScale, look_up

__all__ = ["resolve_scales"]


def resolve_scales(
    scales: KDScale | str | int | Sequence[int],
    num_scales: int,
    key: str = "kd_scales",
    among: Sequence[int] | None = None,
    allow_empty: bool = False,
) -> list[int]:
    """The sorted, distinct scale indices (0 the finest, ``num_scales - 1`` the bottleneck) that ``scales`` names.

    Args:
        scales: ``"bottleneck"`` (the coarsest scale), ``"all"`` (every scale of ``among``), or scale indices;
            negative indices count from the bottleneck (-1).
        num_scales: the network's number of scales (1 for a classifier's modality vectors).
        key: the option's name, for the error message.
        among: the scales that may be named (default: all ``num_scales``); for ``kd_scales`` the scales whose
            fused features the decoder reads.
        allow_empty: an empty list names no scale (``skip_scales``) instead of being an error.

    Raises:
        ValueError: a name is unknown, an index is out of range or not one of ``among``, or the list is empty
            without ``allow_empty``.

    Example::

        resolve_scales("all", 4)  # [0, 1, 2, 3]
        resolve_scales([-1, 2], 4)  # [2, 3]
        resolve_scales("all", 4, among=[0, 3])  # [0, 3]
    """
    allowed = list(range(num_scales)) if among is None else sorted(among)
    if isinstance(scales, str):
        if look_up(KDScale, scales, key) == KDScale.ALL:
            return allowed
        indices = [num_scales - 1]
    else:
        indices = [int(scales)] if isinstance(scales, int) else [int(s) for s in scales]
    bad = [s for s in indices if not -num_scales <= s < num_scales or s % num_scales not in allowed]
    if bad or not (indices or allow_empty):
        raise ValueError(
            f"`{key}` must be 'bottleneck', 'all' or scale indices among {allowed} (0 the finest of the network's "
            f"{num_scales} scales, -1 the bottleneck), got {scales!r}."
        )
    return sorted({s % num_scales for s in indices})
