from __future__ import annotations

import pytest
import torch

from metakd_ext.metrics import EMPTY_HD95, brats_region_scores, dice_score, hd95_score, remove_small_et


def _cube(lo: int, hi: int, size: int = 20) -> torch.Tensor:
    m = torch.zeros(size, size, size, dtype=torch.bool)
    m[lo:hi, lo:hi, lo:hi] = True
    return m


def test_dice_by_hand() -> None:
    a = _cube(5, 10)
    b = torch.zeros_like(a)
    b[6:11, 5:10, 5:10] = True  # shifted by one voxel: overlap 4 / 5 slices
    assert dice_score(a, b) == pytest.approx(2 * 100 / 250)
    assert dice_score(a, a) == 1.0


def test_hd95_by_hand() -> None:
    a = _cube(5, 10)
    b = torch.zeros_like(a)
    b[7:12, 5:10, 5:10] = True  # shifted by two voxels along the first axis
    assert hd95_score(a, b) == pytest.approx(2.0)
    assert hd95_score(a, b, spacing=(1.5, 1.0, 1.0)) == pytest.approx(3.0)
    assert hd95_score(a, a) == 0.0


def test_empty_rules() -> None:
    empty = torch.zeros(10, 10, 10, dtype=torch.bool)
    some = _cube(2, 4, 10)
    assert dice_score(empty, empty) == 1.0 and hd95_score(empty, empty) == 0.0
    assert dice_score(some, empty) == 0.0 and hd95_score(some, empty) == EMPTY_HD95
    assert dice_score(empty, some) == 0.0 and hd95_score(empty, some) == EMPTY_HD95


def test_et_post_processing() -> None:
    regions = torch.stack([_cube(2, 8), _cube(1, 9), _cube(3, 5)])  # ET has 8 voxels
    assert not remove_small_et(regions, 10)[2].any()
    assert torch.equal(remove_small_et(regions, 10)[0], regions[0])  # stays in TC
    assert remove_small_et(regions, 8)[2].sum() == 8
    label = regions.clone()
    label[2] = False  # no ET in the ground truth
    scores = brats_region_scores(regions, label, et_min_voxels=10)
    assert scores["dice_et"] == 0.0 and scores["hd95_et"] == EMPTY_HD95
    assert scores["dice_et_post"] == 1.0 and scores["hd95_et_post"] == 0.0
    assert scores["dice_tc"] == 1.0 and scores["dice_wt"] == 1.0


def test_shape_check() -> None:
    with pytest.raises(ValueError, match="TC/WT/ET"):
        brats_region_scores(torch.zeros(2, 4, 4, 4), torch.zeros(2, 4, 4, 4))
