"""Dice and 95% Hausdorff distance of BraTS regions, with the challenge's rules for empty regions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from monai.metrics.utils import get_edge_surface_distance

__all__ = ["BRATS_REGIONS", "EMPTY_HD95", "dice_score", "hd95_score", "remove_small_et", "brats_region_scores"]

BRATS_REGIONS = ("TC", "WT", "ET")
"""Region channels of the network output and label, in order."""

EMPTY_HD95 = 373.13
"""HD95 (mm) the BraTS challenge assigns when exactly one of prediction and ground truth is empty (the diagonal of
the 240 x 240 x 155 mm volume)."""


def dice_score(pred: torch.Tensor, label: torch.Tensor) -> float:
    """Dice of two binary masks; 1 when both are empty, as the BraTS challenge scores them.

    Args:
        pred: (*spatial) bool or 0/1 mask.
        label: (*spatial) bool or 0/1 mask.
    """
    p, g = pred.bool(), label.bool()
    total = int(p.sum()) + int(g.sum())
    if total == 0:
        return 1.0
    return 2.0 * int((p & g).sum()) / total


def hd95_score(pred: torch.Tensor, label: torch.Tensor, spacing: Sequence[float] | None = None) -> float:
    """Symmetric 95th-percentile Hausdorff distance of two binary masks, in mm when ``spacing`` is given.

    0 when both masks are empty, :data:`EMPTY_HD95` when exactly one is (the BraTS rule).

    Args:
        pred: (*spatial) bool or 0/1 mask.
        label: (*spatial) bool or 0/1 mask.
        spacing: voxel size per spatial axis; default 1.
    """
    p, g = pred.bool(), label.bool()
    p_empty, g_empty = not bool(p.any()), not bool(g.any())
    if p_empty and g_empty:
        return 0.0
    if p_empty or g_empty:
        return EMPTY_HD95
    _, distances, _ = get_edge_surface_distance(
        p, g, distance_metric="euclidean", spacing=None if spacing is None else list(spacing), symmetric=True
    )
    both = torch.cat([d.flatten().float() for d in distances])
    return float(np.percentile(both.cpu().numpy(), 95))


def remove_small_et(regions: torch.Tensor, min_voxels: int) -> torch.Tensor:
    """The customary ET post-processing: a predicted ET smaller than ``min_voxels`` counts as none.

    The removed voxels stay in TC and WT (they become necrosis / non-enhancing core).

    Args:
        regions: (3, *spatial) bool masks TC, WT, ET.
        min_voxels: ET size below which it is removed; 0 keeps every ET.
    """
    if min_voxels > 0 and 0 < int(regions[2].sum()) < min_voxels:
        regions = regions.clone()
        regions[2] = False
    return regions


def brats_region_scores(
    pred: torch.Tensor, label: torch.Tensor, spacing: Sequence[float] | None = None, et_min_voxels: int = 500
) -> dict[str, float]:
    """Dice and HD95 of TC, WT and ET, and of ET after :func:`remove_small_et`.

    Args:
        pred: (3, *spatial) binary prediction, channels TC, WT, ET.
        label: (3, *spatial) binary ground truth, same channels.
        spacing: voxel size in mm.
        et_min_voxels: threshold of the ET post-processing.

    Returns:
        ``{"dice_tc", "dice_wt", "dice_et", "hd95_tc", "hd95_wt", "hd95_et", "dice_et_post", "hd95_et_post"}``.

    Raises:
        ValueError: the shapes differ or there are not 3 channels.
    """
    if pred.shape != label.shape or pred.shape[0] != 3:
        raise ValueError(
            f"`pred` and `label` must both be (3, *spatial) TC/WT/ET masks, got {tuple(pred.shape)} and "
            f"{tuple(label.shape)}."
        )
    pred, label = pred.bool(), label.bool()
    scores: dict[str, float] = {}
    for c, region in enumerate(BRATS_REGIONS):
        scores[f"dice_{region.lower()}"] = dice_score(pred[c], label[c])
        scores[f"hd95_{region.lower()}"] = hd95_score(pred[c], label[c], spacing)
    post = remove_small_et(pred, et_min_voxels)
    scores["dice_et_post"] = dice_score(post[2], label[2])
    scores["hd95_et_post"] = hd95_score(post[2], label[2], spacing)
    return scores
