"""Output transforms that wire metrics to one channel of the engine output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monai.handlers import from_engine

__all__ = ["from_engine_channel"]


def from_engine_channel(keys: Sequence[str], channel: int) -> Any:
    """Like :func:`monai.handlers.from_engine`, keeping only channel ``channel`` of every item.

    Used to compute a metric per region, e.g. Dice of WT (channel 1) with ``MeanDice``::

        "output_transform": "$metakd_ext.handlers.from_engine_channel(['pred', 'label'], 1)"
    """

    def _wrapper(data: Any) -> tuple:
        values = from_engine(list(keys))(data)
        return tuple([item[channel : channel + 1] for item in value] for value in values)

    return _wrapper
