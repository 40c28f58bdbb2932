from __future__ import annotations

import torch
from monai.transforms import Compose

from metakd_ext.transforms import InferModalityMaskd, RandDropModalityd, SetModalitiesd, ZeroOutsideForegroundd

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
