"""Dice and 95% Hausdorff distance of BraTS regions, with the challenge's rules for empty regions."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from monai.metrics import compute_hausdorff_distance

from metakd_ext.transforms.array import BratsLabelToRegions, RegionsToBratsLabel

__all__ = [
    "BRATS_REGIONS",
    "EMPTY_HD95",
    "dice_score",
    "hd95_score",
    "label_map_regions",
    "remove_small_et",
    "brats_region_scores",
    "soft_dice_score",
]

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


def soft_dice_score(probs: torch.Tensor, label: torch.Tensor, smooth: float = 1e-5) -> float:
    """Soft Dice ``2 sum(p g) / (sum p + sum g)`` of probabilities against a binary mask; unlike :func:`dice_score`
    it still ranks predictions that a 0.5 threshold leaves empty (the LCKD teacher election of an early model).

    Args:
        probs: (*spatial) probabilities in [0, 1].
        label: (*spatial) bool or 0/1 mask.
        smooth: added to numerator and denominator (an empty prediction of an empty region scores 1).
    """
    p, g = probs.float(), label.float()
    return float((2.0 * (p * g).sum() + smooth) / (p.sum() + g.sum() + smooth))


def hd95_score(pred: torch.Tensor, label: torch.Tensor, spacing: Sequence[float] | None = None) -> float:
    """95th-percentile Hausdorff distance of two binary masks, in mm when ``spacing`` is given.

    MONAI's ``compute_hausdorff_distance(percentile=95)``: the larger of the two directed 95th percentiles of the
    distances between the masks' surfaces (as MONAI's ``HausdorffDistanceMetric`` and the surface-distance package
    compute it; medpy pools both directions before the percentile instead). 0 when both masks are empty,
    :data:`EMPTY_HD95` when exactly one is (the BraTS rule).

    Args:
        pred: (*spatial) bool or 0/1 mask.
        label: (*spatial) bool or 0/1 mask.
        spacing: voxel size per spatial axis in mm; default 1.
    """
    p, g = pred.bool(), label.bool()
    p_empty, g_empty = not bool(p.any()), not bool(g.any())
    if p_empty and g_empty:
        return 0.0
    if p_empty or g_empty:
        return EMPTY_HD95
    with warnings.catch_warnings():  # MONAI 1.5-1.6 warn from inside their own call of get_mask_edges
        warnings.filterwarnings("ignore", message=".*always_return_as_numpy.*")
        distance = compute_hausdorff_distance(
            p[None, None],
            g[None, None],
            include_background=True,
            distance_metric="euclidean",
            percentile=95,
            spacing=None if spacing is None else [float(s) for s in spacing],
        )
    return float(distance.flatten()[0])


def label_map_regions(regions: torch.Tensor, et_label: int = 4) -> torch.Tensor:
    """The regions of the label map that inference writes for ``regions``: channels -> 0/1/2/ET map -> TC, WT, ET.

    The BraTS evaluation scores the regions re-derived from a written label map (WT = 1, 2, ET; TC = 1, ET;
    ET), so an ET voxel outside the predicted TC counts in TC, and TC outside WT in WT: the regions come out
    nested. Uses the bundle's own :class:`~metakd_ext.transforms.RegionsToBratsLabel` and
    :class:`~metakd_ext.transforms.BratsLabelToRegions`.

    Args:
        regions: (3, *spatial) binary masks TC, WT, ET.
        et_label: the ET value of the label map (any valid one gives the same regions).

    Returns:
        (3, *spatial) bool masks TC, WT, ET.
    """
    label = RegionsToBratsLabel(et_label)(regions)
    return BratsLabelToRegions(et_label)(label).bool()  # type: ignore[union-attr]


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
    """Dice and HD95 of TC, WT and ET, and of ET after :func:`remove_small_et`, as the BraTS evaluation scores the
    label map that inference writes: the predicted regions are first made what that map gives back
    (:func:`label_map_regions`); the post-processed ET becomes label 1, so it stays in TC and WT.

    Args:
        pred: (3, *spatial) binary prediction, channels TC, WT, ET (the thresholded network output).
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
    pred, label = label_map_regions(pred.bool()), label.bool()
    scores: dict[str, float] = {}
    for c, region in enumerate(BRATS_REGIONS):
        scores[f"dice_{region.lower()}"] = dice_score(pred[c], label[c])
        scores[f"hd95_{region.lower()}"] = hd95_score(pred[c], label[c], spacing)
    post = remove_small_et(pred, et_min_voxels)
    scores["dice_et_post"] = dice_score(post[2], label[2])
    scores["hd95_et_post"] = hd95_score(post[2], label[2], spacing)
    return scores
