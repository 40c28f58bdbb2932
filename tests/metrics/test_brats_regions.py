from __future__ import annotations

import pytest
import torch

from metakd_ext.metrics import (
    EMPTY_HD95,
    brats_region_scores,
    dice_score,
    hd95_score,
    label_map_regions,
    remove_small_et,
)


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


def test_hd95_is_the_larger_directed_percentile_in_mm() -> None:
    # single voxels are their own surface: a -> b distances [0], b -> a distances [0, 10] (voxels)
    a = torch.zeros(20, 20, 20, dtype=torch.bool)
    a[5, 5, 5] = True
    b = a.clone()
    b[5, 5, 15] = True
    # directed 95th percentiles 0 and 0.95 * 10 = 9.5; the larger is 9.5 (pooling both gives 9.0, medpy's way)
    assert hd95_score(a, b) == pytest.approx(9.5)
    assert hd95_score(b, a) == pytest.approx(9.5)
    assert hd95_score(a, b, spacing=(2.0, 2.0, 2.0)) == pytest.approx(19.0)  # a 2 mm case
    assert hd95_score(a, b, spacing=(2.0, 2.0, 1.0)) == pytest.approx(9.5)  # only the third axis counts


def test_label_map_regions_are_nested() -> None:
    regions = torch.zeros(3, 6, 6, 6, dtype=torch.bool)
    regions[1, 1:3] = True  # WT
    regions[0, 2:4] = True  # TC, partly outside WT
    regions[2, 4] = True  # ET outside both
    tc, wt, et = label_map_regions(regions)
    assert torch.equal(et, regions[2])
    assert torch.equal(tc, regions[0] | regions[2])
    assert torch.equal(wt, regions[0] | regions[1] | regions[2])


def test_scores_are_those_of_the_written_label_map() -> None:
    label = torch.stack([_cube(4, 8), _cube(2, 10), _cube(5, 7)])
    pred = label.clone()
    pred[0] = False  # the network predicts ET but no TC: the written map has ET, which is TC
    scores = brats_region_scores(pred, label, et_min_voxels=0)
    assert scores["dice_et"] == 1.0
    assert scores["dice_tc"] == pytest.approx(dice_score(label[2], label[0]))


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
