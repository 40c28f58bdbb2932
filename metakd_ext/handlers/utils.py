"""Reading the engine output: one channel of it for a metric, the first sample of a decollated one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monai.handlers import from_engine

__all__ = ["first_sample", "from_engine_channel"]


def first_sample(output: Any) -> Any:
    """A trainer's iteration output as one dict: the output itself, or, where the engine decollated it into a list
    of one dict per sample (the losses repeated in each), the first sample's."""
    return output[0] if isinstance(output, list) and output else output


def from_engine_channel(keys: Sequence[str], channel: int) -> Any:
    """Like :func:`monai.handlers.from_engine`, keeping only channel ``channel`` of every item.

    Used to compute a metric per region, e.g. Dice of WT (channel 1) with ``MeanDice``::

        "output_transform": "$metakd_ext.handlers.from_engine_channel(['pred', 'label'], 1)"
    """

    def _wrapper(data: Any) -> tuple:
        values = from_engine(list(keys))(data)
        return tuple([item[channel : channel + 1] for item in value] for value in values)

    return _wrapper
