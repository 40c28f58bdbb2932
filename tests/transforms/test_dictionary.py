from __future__ import annotations

import pytest
import torch
from monai.data import MetaTensor
from monai.transforms import Compose

from metakd_ext.transforms import (
    CheckSameGridd,
    InferModalityMaskd,
    RandDropModalityd,
    SetModalitiesd,
    ZeroOutsideForegroundd,
)

NAMES = ["flair", "t1", "t1ce", "t2"]


def test_rand_drop_dict_stores_mask_and_replays() -> None:
    def run(seed: int) -> list[list[bool]]:
        t = Compose([RandDropModalityd(keys="image")]).set_random_state(seed=seed)
        return [t({"image": torch.ones(4, 2, 2, 2)})["modality_mask"].tolist() for _ in range(20)]

    assert run(3) == run(3)
    assert run(3) != run(4)
    out = RandDropModalityd(keys="image")(
        {"image": torch.ones(4, 2, 2, 2), "modality_mask": torch.tensor([0, 1, 1, 1])}
    )
    assert not out["modality_mask"][0]
    assert torch.equal(out["image"].flatten(1).amax(1).bool(), out["modality_mask"])


def test_set_and_infer_dict() -> None:
    d = {"image": torch.ones(4, 2, 2, 2), "case": "A"}
    d = SetModalitiesd("image", "t1+t2", NAMES)(d)
    assert d["modality_mask"].tolist() == [False, True, False, True]
    assert InferModalityMaskd("image", mask_key="m")(d)["m"].tolist() == [False, True, False, True]


def test_zero_outside_foreground_dict() -> None:
    image = torch.zeros(4, 2, 2, 2)
    image[1, 0, 0, 0] = 1.0
    out = ZeroOutsideForegroundd(keys="pred")({"pred": torch.ones(3, 2, 2, 2), "image": image})
    assert out["pred"].sum() == 3 and out["pred"][:, 0, 0, 0].tolist() == [1, 1, 1]


def test_check_same_grid_names_the_file_and_the_difference() -> None:
    image = MetaTensor(torch.zeros(4, 6, 7, 5), affine=torch.eye(4))
    label = MetaTensor(torch.zeros(1, 6, 7, 5), affine=torch.eye(4), meta={"filename_or_obj": "/d/X/X_seg.nii.gz"})
    check = CheckSameGridd("label")
    assert check({"image": image, "label": label, "case": "X"})["label"] is label
    short = MetaTensor(torch.zeros(1, 6, 6, 5), affine=torch.eye(4), meta={"filename_or_obj": "/d/X/X_seg.nii.gz"})
    with pytest.raises(
        ValueError, match=r"case X: the label file /d/X/X_seg.nii.gz .* \(shape \(6, 6, 5\) against \(6, 7, 5\)\)"
    ):
        check({"image": image, "label": short, "case": "X"})
    moved = MetaTensor(torch.zeros(1, 6, 7, 5), affine=torch.diag(torch.tensor([2.0, 1, 1, 1])))
    with pytest.raises(ValueError, match="the same shape .* but another affine"):
        check({"image": image, "label": moved, "case": "X"})
