from __future__ import annotations

import pytest
import torch

from metakd_ext.losses import PairwiseModalityKDLoss
from metakd_ext.networks import ImageEncoder, ModalityWeightLearner, MultiEncoderClassifier, TabularEncoder

MODALITIES = ["mri", "pet", "clinical", "csf"]


def _net(**kwargs) -> MultiEncoderClassifier:
    torch.manual_seed(0)
    encoders = {
        "mri": ImageEncoder(3, 1, (4, 8)),
        "pet": ImageEncoder(3, 1, (4, 8)),
        "clinical": TabularEncoder(4, (8,)),
        "csf": TabularEncoder(3, (8,)),
    }
    return MultiEncoderClassifier(MODALITIES, encoders, num_classes=3, feature_size=16, hidden_size=16, **kwargs)


def _inputs(batch: int = 2) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return {
        "mri": torch.rand(batch, 1, 16, 16, 16, generator=g),
        "pet": torch.rand(batch, 1, 16, 16, 16, generator=g),
        "clinical": torch.randn(batch, 4, generator=g),
        "csf": torch.randn(batch, 3, generator=g),
    }


@pytest.mark.parametrize(
    "pattern",
    [[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 1, 1]],
    ids=["image", "images", "tabular", "tables", "mixed", "mixed2", "all"],
)
def test_shapes_for_every_pattern(pattern: list[int]) -> None:
    mask = torch.tensor([pattern, pattern]).bool()
    logits, features = _net()(_inputs(), mask, return_features=True)
    assert logits.shape == (2, 3)
    assert features.shape == (2, 4, 16)
    assert torch.all(features[:, ~mask[0]] == 0)
    assert torch.all(features[:, mask[0]].abs().sum(dim=-1) > 0)


def test_per_sample_patterns_and_missing_content_ignored() -> None:
    net = _net().eval()
    mask = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 1]]).bool()
    x = _inputs()
    y = net(x, mask)
    changed = dict(x)
    changed["pet"] = x["pet"].clone()
    changed["pet"][0] = 5.0  # subject 0 lacks pet
    changed["csf"] = x["csf"].clone()
    changed["csf"][0] = -7.0  # and csf
    assert torch.allclose(net(changed, mask), y)
    # each subject alone gives the same as in the mixed batch (encoders see only the subjects that have them)
    single = net({k: v[1:] for k, v in x.items()}, mask[1:])
    assert torch.allclose(single, y[1:], atol=1e-6)


def test_no_mask_treats_all_zero_inputs_as_missing() -> None:
    net = _net().eval()
    x = _inputs()
    x["pet"] = torch.zeros_like(x["pet"])
    x["csf"] = torch.zeros_like(x["csf"])
    assert torch.allclose(net(x), net(x, torch.tensor([1, 0, 1, 0]).bool()))


def test_encoder_of_absent_modality_not_run_and_gets_no_gradient() -> None:
    net = _net()
    mask = torch.tensor([[1, 0, 1, 1], [1, 0, 0, 1]]).bool()
    net(_inputs(), mask).sum().backward()
    assert all(p.grad is None for p in net.encoders["pet"].parameters())
    assert all(p.grad is not None for p in net.encoders["mri"].parameters())


def test_kd_gradient_flows_to_students_only() -> None:
    """The KD loss pulls each student modality's encoder; the teacher's features are detached."""
    net = _net()
    learner = ModalityWeightLearner(4)
    mask = torch.tensor([[1, 0, 1, 0], [1, 0, 1, 0]]).bool()
    _, features = net(_inputs(), mask, return_features=True)
    ratios = torch.zeros(4, 4)
    ratios[0, 2] = 1.0  # mri teaches clinical only
    PairwiseModalityKDLoss()(features, mask, ratios).backward()
    assert all(p.grad is None or torch.all(p.grad == 0) for p in net.encoders["mri"].parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.encoders["clinical"].parameters())
    assert all(p.grad is None for p in learner.parameters())


def test_modality_weights_change_output_and_get_gradient() -> None:
    net = _net().eval()
    learner = ModalityWeightLearner(4)
    mask = torch.ones(2, 4, dtype=torch.bool)
    out = net(_inputs(), mask, modality_weights=learner.weights())
    assert not torch.allclose(out, net(_inputs(), mask))
    out.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in learner.parameters())


@pytest.mark.parametrize("kd_scales", ["bottleneck", "all", 0, [-1]])
def test_every_kd_scales_names_the_modality_vectors(kd_scales) -> None:
    torch.manual_seed(0)
    mask = torch.tensor([[1, 1, 0, 1], [0, 1, 1, 1]]).bool()
    _, features = _net(kd_scales=kd_scales)(_inputs(), mask, return_features=True)
    torch.manual_seed(0)
    _, bottleneck = _net()(_inputs(), mask, return_features=True)
    assert torch.equal(features, bottleneck)


def test_encode_classify_equals_forward() -> None:
    net = _net().eval()
    mask = torch.tensor([[1, 1, 0, 1], [0, 1, 1, 1]]).bool()
    features, resolved = net.encode(_inputs(), mask)
    assert torch.equal(resolved, mask)
    assert torch.allclose(net.classify(features, mask), net(_inputs(), mask))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"modalities": ["mri", "mri"]}, "distinct"),
        ({"encoders": {"mri": ImageEncoder(3, 1, (4,))}}, "one entry per modality"),
        ({"num_classes": 1}, "num_classes"),
        ({"feature_size": 0}, "feature_size"),
        ({"encoders": {"mri": torch.nn.Identity(), "pet": torch.nn.Identity()}}, "out_features"),
        ({"kd_scales": [1]}, r"`kd_scales` must be .* among \[0\] .* 1 scales"),
        ({"kd_scales": "skips"}, "`kd_scales` must be one of 'bottleneck', 'all'"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    args = {
        "modalities": ["mri", "pet"],
        "encoders": {"mri": ImageEncoder(3, 1, (4,)), "pet": ImageEncoder(3, 1, (4,))},
        "num_classes": 3,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        MultiEncoderClassifier(**args)


def test_bad_inputs() -> None:
    net = _net()
    x = _inputs()
    with pytest.raises(ValueError, match="lacks modalities"):
        net({k: v for k, v in x.items() if k != "csf"})
    with pytest.raises(ValueError, match="no available modality"):
        net(x, torch.zeros(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"shape \(B, 3\)"):
        net({**x, "csf": torch.rand(2, 5)}, torch.ones(2, 4, dtype=torch.bool))
