from __future__ import annotations

import pytest
import torch

from metakd_ext.networks import (
    ImageEncoder,
    MultiEncoderClassifier,
    MultiEncoderUNet,
    TabularEncoder,
    export_segmentation_network,
    static_graph,
)
from metakd_ext.utils import all_subsets, subset_mask

MODALITIES = ["flair", "t1", "t1ce", "t2"]


def _every_subset_input(shape: tuple[int, ...]) -> torch.Tensor:
    """(15, 4, *shape): one sample per modality subset, the missing modalities' channels zero."""
    torch.manual_seed(1)
    masks = torch.stack([subset_mask(s, MODALITIES) for s in all_subsets(MODALITIES)])
    return torch.rand(len(masks), 4, *shape) * masks.reshape(-1, 4, *([1] * len(shape)))


AUTHORS_TOPOLOGY = {"fill_scales": "bottleneck", "skip_scales": [0]}


@pytest.mark.parametrize("topology", [{}, AUTHORS_TOPOLOGY], ids=["unet", "authors"])
@pytest.mark.parametrize("kd_scales", ["bottleneck", "all"])
@pytest.mark.parametrize("share_encoder", [False, True])
def test_torchscript_equals_eager_for_every_subset_and_size(share_encoder: bool, kd_scales: str, topology) -> None:
    torch.manual_seed(0)
    net = MultiEncoderUNet(channels=(4, 8, 16), share_encoder=share_encoder, kd_scales=kd_scales, **topology).eval()
    scripted = torch.jit.script(net)
    with torch.no_grad():
        for shape in [(16, 16, 16), (32, 8, 24)]:
            x = _every_subset_input(shape)
            torch.testing.assert_close(scripted(x), net(x), rtol=1e-4, atol=1e-5)
            one = x[4:5]  # t1ce alone, the batch sharing one mask (eager folds it into the fusion)
            torch.testing.assert_close(scripted(one), net(one), rtol=1e-4, atol=1e-5)
        mask = torch.tensor([True, False, True, True])
        torch.testing.assert_close(scripted(x, mask), net(x, mask), rtol=1e-4, atol=1e-5)
        _, features = scripted(x, None, None, True)
        _, eager_features = net(x, return_features=True)
        assert len(features) == len(net.kd_scales)
        torch.testing.assert_close(features, eager_features, rtol=1e-4, atol=1e-5)
        weights = torch.tensor([0.4, 0.1, 0.3, 0.2])  # the meta step's weights, on every scale of kd_scales
        torch.testing.assert_close(scripted(x, None, weights), net(x, modality_weights=weights), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("topology", [{}, AUTHORS_TOPOLOGY], ids=["unet", "authors"])
def test_torch_export_with_dynamic_batch_and_spatial_sizes(topology) -> None:
    torch.manual_seed(0)
    net = MultiEncoderUNet(channels=(4, 8, 16), **topology).eval()
    program = export_segmentation_network(net, num_modalities=4, size_divisible=net.size_divisible, max_size=64)
    exported = program.module()
    with torch.no_grad():
        for shape in [(16, 16, 16), (48, 8, 32)]:
            x = _every_subset_input(shape)
            torch.testing.assert_close(exported(x), net(x), rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(exported(x[:1]), net(x[:1]), rtol=1e-4, atol=1e-5)


def test_classifier_scripts_with_missing_modalities() -> None:
    torch.manual_seed(0)
    encoders = {"mri": ImageEncoder(3, 1, (4, 8)), "csf": TabularEncoder(3, (8,))}
    net = MultiEncoderClassifier(["mri", "csf"], encoders, num_classes=3).eval()
    scripted = torch.jit.script(net)
    x = {"mri": torch.rand(3, 1, 16, 16, 16), "csf": torch.rand(3, 3)}
    x["mri"][0] = 0
    x["csf"][1] = 0
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), net(x), rtol=1e-4, atol=1e-5)
        only_csf = {"mri": torch.zeros(2, 1, 16, 16, 16), "csf": torch.rand(2, 3)}
        torch.testing.assert_close(scripted(only_csf), net(only_csf), rtol=1e-4, atol=1e-5)


def test_static_graph_only_when_compiled_for_export() -> None:
    assert not static_graph()
