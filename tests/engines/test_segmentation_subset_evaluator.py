from __future__ import annotations

import pytest
import torch
from monai.data import MetaTensor, list_data_collate
from monai.transforms import Compose, CropForegroundd, Spacingd

from metakd_ext.engines import PrepareModalityBatch, SegmentationSubsetEvaluator
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


def _resampled_case() -> tuple[dict, Compose]:
    """A 1 mm case (16^3, a tumour box of 8^3 voxels) taken to 2 mm and cropped, with its untouched label kept."""
    image = torch.zeros(4, 16, 16, 16)
    image[:, 2:14, 2:14, 2:14] = 1.0
    label = torch.zeros(3, 16, 16, 16)
    label[:, 4:12, 4:12, 4:12] = 1.0
    grid = Compose(
        [
            Spacingd(["image", "label"], pixdim=2.0, mode=["bilinear", "nearest"]),
            CropForegroundd(["image", "label"], source_key="image"),
        ]
    )
    data = grid({"image": MetaTensor(image), "label": MetaTensor(label), "original_label": MetaTensor(label)})
    batch = list_data_collate([{**data, "modality_mask": torch.ones(4, dtype=torch.bool), "case": "c"}])
    return batch, grid


class _LabelInferer:
    """Predicts a fixed (3, *spatial) 0/1 map, as logits, under every subset."""

    def __init__(self, label: torch.Tensor) -> None:
        self.logits = label[None] * 20.0 - 10.0

    def __call__(self, image: torch.Tensor, network: object, masks: dict) -> dict:
        return dict.fromkeys(masks, self.logits)


def test_scores_on_the_original_grid_with_invert() -> None:
    batch, grid = _resampled_case()
    inferer = _LabelInferer(batch["label"][0].as_tensor())
    assert batch["label"].shape[2:] == (6, 6, 6)
    net = MultiEncoderUNet(channels=(4, 8)).eval()
    evaluator = SegmentationSubsetEvaluator(
        "cpu",
        [batch],
        net,
        inferer,  # type: ignore[arg-type]
        NAMES,
        subsets=["flair"],
        et_min_voxels=0,
        invert=grid,
        prepare_batch=PrepareModalityBatch(label_key="original_label"),
    )
    evaluator.run()
    (row,) = evaluator.state.rows
    assert row["label_et_voxels"] == 8**3  # the 1 mm label, not its 4^3 voxels at 2 mm
    assert row["dice_wt"] > 0.75  # 7^3 of the 8^3 voxels: the box edges fall between 2 mm voxel centres
    network_grid = SegmentationSubsetEvaluator(
        "cpu",
        [batch],
        net,
        inferer,
        NAMES,
        subsets=["flair"],
        invert=grid,  # type: ignore[arg-type]
    )
    with pytest.raises(ValueError, match="case c: the prediction .* and the label .* are on different grids"):
        network_grid.run()
