from __future__ import annotations

import pytest
import torch

from metakd_ext.inferers import SubsetSlidingWindowInferer
from metakd_ext.networks import MultiEncoderUNet
from metakd_ext.utils import all_subsets, subset_mask

NAMES = ["flair", "t1", "t1ce", "t2"]


@pytest.mark.parametrize(
    "kwargs", [{"kd_scales": "bottleneck"}, {"kd_scales": "all"}, {"fill_scales": "bottleneck", "skip_scales": [0]}]
)
def test_fast_path_equals_plain_path(kwargs: dict) -> None:
    torch.manual_seed(0)
    net = MultiEncoderUNet(channels=(4, 8, 16), **kwargs).eval()
    x = torch.randn(1, 4, 24, 20, 28)
    subsets = {s: subset_mask(s, NAMES) for s in all_subsets(NAMES)}
    kwargs = {"roi_size": (16, 16, 16), "sw_batch_size": 3, "overlap": 0.5}
    with torch.no_grad():
        fast = SubsetSlidingWindowInferer(**kwargs, fast=True)(x, net, subsets)
        plain = SubsetSlidingWindowInferer(**kwargs, fast=False)(x, net, subsets)
    assert set(fast) == set(subsets)
    for s in subsets:
        assert fast[s].shape == (1, 3, 24, 20, 28)
        assert torch.allclose(fast[s], plain[s], atol=1e-4), s
    assert not torch.allclose(fast["flair"], fast["t1"])


def test_only_the_modalities_of_the_subsets_are_encoded() -> None:
    torch.manual_seed(0)
    net = MultiEncoderUNet(channels=(4, 8)).eval()
    x = torch.randn(1, 4, 8, 8, 8)
    encoded = []
    encode = net.encode
    net.encode = lambda window, mask: encoded.append(mask[0].tolist()) or encode(window, mask)  # type: ignore
    subsets = {s: subset_mask(s, NAMES) for s in ("flair", "flair+t2")}
    with torch.no_grad():
        out = SubsetSlidingWindowInferer(8)(x, net, subsets)
        net.encode = encode  # type: ignore[method-assign]
        alone = net(x * subset_mask("flair", NAMES).reshape(1, 4, 1, 1, 1), subset_mask("flair", NAMES)[None])
    assert encoded == [[True, False, False, True]]
    assert torch.allclose(out["flair"], alone, atol=1e-5)


@pytest.mark.parametrize("fast", [True, False])
def test_no_subsets_predicts_nothing(fast: bool) -> None:
    net = MultiEncoderUNet(channels=(4, 8)).eval()
    assert SubsetSlidingWindowInferer(8, fast=fast)(torch.randn(1, 4, 8, 8, 8), net, {}) == {}
