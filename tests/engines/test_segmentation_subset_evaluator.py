from __future__ import annotations

import pytest
import torch
from monai.data import MetaTensor

from metakd_ext.engines import SegmentationSubsetEvaluator
from metakd_ext.inferers import SubsetSlidingWindowInferer
from metakd_ext.networks import MultiEncoderUNet

NAMES = ["flair", "t1", "t1ce", "t2"]


def _case(name: str, missing: int | None = None) -> dict:
    g = torch.Generator().manual_seed(0)
    image = torch.rand(1, 4, 8, 8, 8, generator=g)
    mask = torch.ones(1, 4, dtype=torch.bool)
    if missing is not None:
        image[:, missing] = 0
        mask[:, missing] = False
    label = torch.zeros(1, 3, 8, 8, 8)
    label[:, :, 2:6, 2:6, 2:6] = 1
    return {"image": MetaTensor(image), "label": label, "modality_mask": mask, "case": [name]}


def test_each_case_is_scored_on_the_subsets_it_has() -> None:
    torch.manual_seed(0)
    net = MultiEncoderUNet(channels=(4, 8)).eval()
    evaluator = SegmentationSubsetEvaluator(
        "cpu",
        [_case("full"), _case("no_t1ce", missing=2)],
        net,
        SubsetSlidingWindowInferer(8),
        NAMES,
        subsets=["t1ce", "flair+t2", "available"],
        et_min_voxels=0,
    )
    evaluator.run()
    rows = [(r["case"], r["subset"], r["available"]) for r in evaluator.state.rows]
    assert rows == [
        ("full", "t1ce", "flair+t1+t1ce+t2"),
        ("full", "flair+t2", "flair+t1+t1ce+t2"),
        ("full", "available", "flair+t1+t1ce+t2"),
        ("no_t1ce", "flair+t2", "flair+t1+t2"),
        ("no_t1ce", "available", "flair+t1+t2"),
    ]
    assert all(r["label_et_voxels"] == 64 and 0 <= r["dice_wt"] <= 1 for r in evaluator.state.rows)


def test_one_case_per_batch_and_spacing_are_required() -> None:
    net = MultiEncoderUNet(channels=(4, 8)).eval()
    two = _case("a")
    two = {**two, "image": MetaTensor(two["image"].repeat(2, 1, 1, 1, 1)), "modality_mask": torch.ones(2, 4).bool()}
    with pytest.raises(ValueError, match="takes one case per batch"):
        SegmentationSubsetEvaluator("cpu", [two], net, SubsetSlidingWindowInferer(8), NAMES).run()
    plain = {**_case("p"), "image": _case("p")["image"].as_tensor()}
    with pytest.raises(ValueError, match="case p: the image carries no voxel spacing"):
        SegmentationSubsetEvaluator("cpu", [plain], net, SubsetSlidingWindowInferer(8), NAMES).run()
