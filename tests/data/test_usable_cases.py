from __future__ import annotations

import torch

from metakd_ext.data import SkippedCase, SkipUnusableDataset, collate_usable


def _load(entry: dict) -> dict:
    if entry["case"] == "bad":
        raise ValueError(f"case bad: cannot read the flair file {entry['flair']}")
    return {"case": entry["case"], "image": torch.ones(1, 2)}


def test_a_failing_case_becomes_a_record_and_the_others_collate() -> None:
    data = [
        {"case": "good", "flair": "/d/good_flair.nii.gz"},
        {"case": "bad", "flair": "/d/bad_flair.nii.gz", "t1": ""},
        {"case": "empty", "unusable": "case empty has a label but no modality file"},
    ]
    dataset = SkipUnusableDataset(data, _load)
    assert dataset[1] == SkippedCase(
        "bad", "ValueError: case bad: cannot read the flair file /d/bad_flair.nii.gz", "/d/bad_flair.nii.gz"
    )
    assert dataset[2] == SkippedCase("empty", "case empty has a label but no modality file", "")
    batch = collate_usable([dataset[i] for i in range(3)])
    assert batch["case"] == ["good"] and batch["image"].shape == (1, 1, 2)
    assert [s.case for s in batch["skipped_cases"]] == ["bad", "empty"]
    assert collate_usable([dataset[1]]) == {"skipped_cases": [dataset[1]]}
