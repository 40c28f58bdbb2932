"""The scores on which LCKD elects its teacher modalities (Wang et al., arXiv 2310.01035)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from metakd_ext.metrics.brats_regions import BRATS_REGIONS
from metakd_ext.metrics.classification import classification_scores

__all__ = ["classification_election_scores", "region_election_scores"]


def region_election_scores(rows: Sequence[dict], regions: Sequence[str] = BRATS_REGIONS) -> dict[str, dict[str, float]]:
    """Per region, the soft Dice of each subset summed over the cases, as the authors sum Dice over their
    validation cases: ``{region: {subset: score}}``.

    Args:
        rows: rows of a :class:`~metakd_ext.engines.SegmentationSubsetEvaluator` (``soft_dice_<region>``).
        regions: the tasks, one per region.
    """
    scores: dict[str, dict[str, float]] = {str(r): {} for r in regions}
    for row in rows:
        for region in regions:
            task = scores[str(region)]
            task[row["subset"]] = task.get(row["subset"], 0.0) + float(row[f"soft_dice_{str(region).lower()}"])
    return scores


def classification_election_scores(
    rows: Sequence[dict], class_names: Sequence[str], metric: str = "macro_auc", task: str = "diagnosis"
) -> dict[str, dict[str, float]]:
    """One task: ``metric`` (:data:`~metakd_ext.metrics.CLASSIFICATION_SCORES`) of each subset over the labelled
    subjects that have it: ``{task: {subset: score}}`` (NaN counts as the worst score).

    Args:
        rows: rows of a :class:`~metakd_ext.engines.ClassificationSubsetEvaluator`.
        class_names: the classes, in the order of the probability columns.
        metric: the score the bundle selects checkpoints by.
        task: the task's name in the log.
    """
    classes = list(class_names)
    by_subset: dict[str, list[dict]] = {}
    for row in rows:
        if row.get("label") in classes:
            by_subset.setdefault(row["subset"], []).append(row)
    out = {}
    for subset, group in by_subset.items():
        labels = np.array([classes.index(r["label"]) for r in group])
        probs = np.array([[float(r[f"prob_{c}"]) for c in classes] for r in group])
        value = classification_scores(labels, probs)[metric]
        out[subset] = -np.inf if np.isnan(value) else float(value)
    return {task: out}
