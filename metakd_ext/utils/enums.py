"""String enums for the options of metakd_ext components."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

__all__ = [
    "BadImage",
    "StrEnum",
    "BatchKey",
    "KDDistance",
    "KDPairs",
    "KDScale",
    "PairReduction",
    "MetaMode",
    "StudentSet",
    "TeacherVote",
    "WeightInit",
    "look_up",
]

E = TypeVar("E", bound="StrEnum")


class StrEnum(str, Enum):
    """A string enum whose members compare equal to, and print as, their value."""

    def __str__(self) -> str:
        return str(self.value)


class BatchKey(StrEnum):
    """Keys of the data dictionary that the package's transforms write and its engines read.

    ``MASK`` holds the (M,) availability of a sample, (B, M) once collated; it leaves the batch in
    :class:`~metakd_ext.engines.PrepareModalityBatch` and nowhere else.
    """

    IMAGE = "image"
    LABEL = "label"
    MASK = "modality_mask"
    CASE = "case"
    SUBJECT = "subject"
    SKIPPED = "skipped_cases"
    """the :class:`~metakd_ext.data.SkippedCase` records of a batch's unusable cases
    (:func:`~metakd_ext.data.collate_usable`), which the inference evaluators take out of the batch"""
    UNUSABLE = "unusable"
    """in a case entry: why the case cannot be used, found before loading it (e.g. a folder without images)"""


class KDDistance(StrEnum):
    """Feature distance of the pairwise distillation loss."""

    L1 = "l1"
    MSE = "mse"


class KDPairs(StrEnum):
    """Which ordered (teacher, student) pairs of available modalities the pairwise distillation loss sums.

    ``ALL`` is the authors' code (every ordered pair, weight ``p_i / p_j``); ``TO_WEAKER`` is the paper's words
    ("high-importance modalities transfer knowledge to lower-importance ones"): only pairs whose teacher weight
    is above the student's, i.e. ``p_i / p_j > 1``.
    """

    ALL = "all"
    TO_WEAKER = "to_weaker"


class KDScale(StrEnum):
    """Named choices of the encoder scales that carry distillation and the meta step's modality weights.

    ``BOTTLENECK`` is the paper's (the coarsest scale alone); ``ALL`` is every scale whose fused features the
    decoder reads. A list of scale indices (0 the finest) is the third form.
    """

    BOTTLENECK = "bottleneck"
    ALL = "all"


class PairReduction(StrEnum):
    """How the per-pair distillation terms of one sample are combined."""

    SUM = "sum"
    MEAN = "mean"


class MetaMode(StrEnum):
    """How the modality-importance logits are meta-learned (DESIGN.md sections 1 and 2)."""

    FIRST_ORDER = "first_order"
    UNROLLED = "unrolled"


class StudentSet(StrEnum):
    """Which modalities an LCKD teacher distils into."""

    ALL = "all"
    NON_TEACHERS = "non_teachers"


class TeacherVote(StrEnum):
    """How LCKD's per-task winners become the teachers."""

    UNION = "union"
    MAJORITY = "majority"


class BadImage(StrEnum):
    """What loading does with a modality file that cannot be read or has NaN or infinite voxels."""

    ERROR = "error"
    MISSING = "missing"


class WeightInit(StrEnum):
    """Initialisation of the modality-importance logits."""

    UNIFORM = "uniform"
    ZEROS = "zeros"


def look_up(enum_type: type[E], value: str | E, arg_name: str) -> E:
    """Converts ``value`` to a member of ``enum_type``.

    Raises:
        ValueError: ``value`` is not one of the enum's values; the message names ``arg_name`` and the valid values.
    """
    try:
        return enum_type(value)
    except ValueError:
        valid = ", ".join(repr(m.value) for m in enum_type)
        raise ValueError(f"`{arg_name}` must be one of {valid}, got {value!r}.") from None
