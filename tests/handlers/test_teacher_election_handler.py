from __future__ import annotations

import torch
from ignite.engine import Engine
from monai.data import MetaTensor
from torch import nn

from metakd_ext.engines import SegmentationSubsetEvaluator
from metakd_ext.handlers import TeacherElectionHandler
from metakd_ext.inferers import SubsetSlidingWindowInferer
from metakd_ext.metrics import region_election_scores
from metakd_ext.networks import ModalityTeachers

NAMES = ["flair", "t1", "t1ce", "t2"]


class _Oracle(nn.Module):
    """Sees region r (TC, WT, ET) only through modality sees[r], whose channel holds that region's mask."""

    def __init__(self, sees: list[int]) -> None:
        super().__init__()
        self.sees = sees

    def encode(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        return [x.unsqueeze(2)], mask

    def decode(self, features: list[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        x = features[0][:, :, 0]
        off = torch.full_like(x[:, 0], -10.0)
        channels = [torch.where(mask[:, k, None, None, None], 20 * x[:, k] - 10, off) for k in self.sees]
        return torch.stack(channels, dim=1)


def _case() -> dict:
    label = torch.zeros(1, 3, 8, 8, 8)
    label[:, 1, 1:7, 1:7, 1:7] = 1  # WT
    label[:, 0, 2:6, 2:6, 2:6] = 1  # TC
    label[:, 2, 3:5, 3:5, 3:5] = 1  # ET
    image = torch.rand(1, 4, 8, 8, 8) * 0.1
    return {"image": MetaTensor(image), "label": label, "modality_mask": torch.ones(1, 4).bool(), "case": ["c"]}


def _elect(sees: list[int], teachers: ModalityTeachers) -> list[str]:
    case = _case()
    for region, k in enumerate(sees):  # modality k carries region r's mask
        case["image"][:, k] = torch.maximum(case["image"][:, k], case["label"][:, region])
    evaluator = SegmentationSubsetEvaluator(
        "cpu", [case], _Oracle(sees), SubsetSlidingWindowInferer(8), NAMES, subsets=NAMES
    )
    handler = TeacherElectionHandler(teachers, evaluator, region_election_scores, NAMES, interval=10)
    engine = Engine(lambda e, b: None)
    engine.state.iteration, engine.state.epoch = 1, 1
    handler(engine)
    return engine.state.teachers


def test_a_model_that_sees_region_r_only_in_modality_k_elects_k_for_r() -> None:
    teachers = ModalityTeachers(4, initial=0)
    assert _elect([1, 0, 2], teachers) == ["flair", "t1", "t1ce"]  # TC in t1, WT in flair, ET in t1ce
    assert _elect([3, 3, 2], teachers) == ["t1ce", "t2"]  # the scores change, the teachers follow
    assert teachers.teachers.tolist() == [False, False, True, True]
    majority = ModalityTeachers(4, vote="majority")
    assert _elect([3, 3, 2], majority) == ["t2"]
