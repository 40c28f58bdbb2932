from __future__ import annotations

import numpy as np
import pytest
import torch

from metakd_ext.utils import (
    AVAILABLE,
    all_subsets,
    apply_modality_mask,
    check_modality_mask,
    infer_modality_mask,
    parse_subsets,
    resolve_modality_mask,
    subset_mask,
    subset_masks,
    subset_name,
)

NAMES = ["flair", "t1", "t1ce", "t2"]


def test_literature_order() -> None:
    subsets = all_subsets(NAMES)
    assert len(subsets) == 15
    assert subsets[:4] == NAMES and subsets[4] == "flair+t1" and subsets[-1] == "flair+t1+t1ce+t2"
    assert [s.count("+") for s in subsets] == sorted(s.count("+") for s in subsets)


def test_parse_and_mask() -> None:
    assert parse_subsets(["t2+flair", "t1"], NAMES) == ["t1", "flair+t2"]
    assert parse_subsets("all", NAMES) == all_subsets(NAMES)
    assert subset_mask("flair+t2", NAMES).tolist() == [True, False, False, True]
    with pytest.raises(ValueError, match="unknown modality subset 'flair\\+pd'.*'flair\\+t1'"):
        parse_subsets(["flair+pd"], NAMES)


def test_subset_name_inverts_subset_mask() -> None:
    names = ["flair", "t1", "t1ce", "t2"]
    for subset in all_subsets(names):
        assert subset_name(subset_mask(subset, names), names) == subset
    assert subset_name([True, False, False, True], names) == "flair+t2"


def test_available_subset_is_each_samples_own_mask() -> None:
    assert parse_subsets(["available", "t1"], NAMES) == ["t1", AVAILABLE]
    available = torch.tensor([[1, 1, 0, 0], [0, 1, 1, 1]]).bool()
    masks = subset_masks(["flair", "t1+t2", AVAILABLE], NAMES, available)
    assert masks.shape == (2, 3, 4)
    assert masks[0, 0].tolist() == [True, False, False, False] and not masks[1, 0].any()  # case 1 lacks flair
    assert not masks[0, 1].any() and masks[1, 1].tolist() == [False, True, False, True]
    assert torch.equal(masks[:, 2], available)
    assert subset_masks([], NAMES, available).shape == (2, 0, 4)


def test_infer_resolve_check_and_apply() -> None:
    x = torch.rand(3, 4, 2, 2, 2)
    x[0, 1] = 0
    x[2] = 0  # a window in the background
    assert infer_modality_mask(x)[0].tolist() == [True, False, True, True] and not infer_modality_mask(x)[2].any()
    resolved = resolve_modality_mask(x, None)
    assert resolved[2].all() and torch.equal(resolved[:2], infer_modality_mask(x)[:2])
    assert resolve_modality_mask(x, torch.tensor([1, 0, 1, 1])).shape == (3, 4)  # one row for every sample
    with pytest.raises(ValueError, match=r"must have shape \(B, M\) = \(3, 4\)"):
        resolve_modality_mask(x, torch.ones(2, 4))
    with pytest.raises(ValueError, match="cases b have no available modality"):
        check_modality_mask(torch.tensor([[1, 0], [0, 0]]).bool(), ["a", "b"])
    keep = torch.tensor([[1, 0, 1, 1], [0, 1, 0, 0], [1, 1, 1, 1]]).bool()
    assert torch.equal(apply_modality_mask(x, keep).flatten(2).ne(0).any(2), keep & infer_modality_mask(x))
    sample = np.ones((4, 3), dtype=np.float32)
    assert apply_modality_mask(sample, keep[1])[:, 0].tolist() == [0, 1, 0, 0]
    table = {"mri": torch.ones(3, 1, 2, 2, 2), "csf": torch.ones(3, 2)}
    zeroed = apply_modality_mask(table, keep[:, :2])
    assert zeroed["mri"].flatten(1).amax(1).tolist() == [1, 0, 1] and zeroed["csf"][:, 0].tolist() == [0, 1, 1]
