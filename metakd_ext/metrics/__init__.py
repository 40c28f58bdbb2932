from __future__ import annotations

from .brats_regions import (
    BRATS_REGIONS,
    EMPTY_HD95,
    brats_region_scores,
    dice_score,
    hd95_score,
    label_map_regions,
    remove_small_et,
    soft_dice_score,
)
from .classification import CLASSIFICATION_SCORES, classification_scores
from .paired_test import paired_case_test
from .subset_summary import MEAN_ROW, SCORE_COLUMNS, summarize_subsets
from .teacher_election import classification_election_scores, region_election_scores

__all__ = [
    "BRATS_REGIONS",
    "EMPTY_HD95",
    "brats_region_scores",
    "dice_score",
    "hd95_score",
    "label_map_regions",
    "remove_small_et",
    "soft_dice_score",
    "classification_election_scores",
    "region_election_scores",
    "CLASSIFICATION_SCORES",
    "classification_scores",
    "paired_case_test",
    "MEAN_ROW",
    "SCORE_COLUMNS",
    "summarize_subsets",
]
