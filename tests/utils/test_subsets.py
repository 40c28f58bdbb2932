from __future__ import annotations

import pytest

from metakd_ext.utils import all_subsets, parse_subsets, subset_mask, subset_name

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
