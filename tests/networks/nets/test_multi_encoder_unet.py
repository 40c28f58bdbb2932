from __future__ import annotations

import itertools

import pytest
import torch

from metakd_ext.networks import MultiEncoderUNet

PATTERNS = [list(p) for p in itertools.product([0, 1], repeat=4) if any(p)]


def _net(**kwargs) -> MultiEncoderUNet:
    torch.manual_seed(0)
    return MultiEncoderUNet(spatial_dims=3, num_modalities=4, out_channels=3, channels=(4, 8, 16), **kwargs).eval()


@pytest.mark.parametrize("share_encoder", [False, True])
@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: "".join(map(str, p)))
def test_shapes_for_every_pattern(pattern: list[int], share_encoder: bool) -> None:
    net = _net(share_encoder=share_encoder)
    x = torch.rand(2, 4, 16, 16, 16)
    mask = torch.tensor([pattern, [1, 1, 1, 1]]).bool()
    logits, [feats] = net(x, modality_mask=mask, return_features=True)
    assert logits.shape == (2, 3, 16, 16, 16)
    assert feats.shape == (2, 4, 16, 4, 4, 4)
    missing = ~mask
    assert torch.all(feats[missing] == 0)
    assert torch.all(feats[mask].abs().sum(dim=(1, 2, 3, 4)) > 0)


def test_missing_channel_content_is_ignored() -> None:
    net = _net()
    x = torch.rand(1, 4, 16, 16, 16)
    mask = torch.tensor([[1, 0, 1, 1]]).bool()
    y1 = net(x, modality_mask=mask)
    x2 = x.clone()
    x2[:, 1] = torch.rand(16, 16, 16) * 100
    assert torch.allclose(y1, net(x2, modality_mask=mask))


def test_no_mask_treats_zero_channels_as_missing() -> None:
    net = _net()
    x = torch.rand(1, 4, 16, 16, 16)
    x[:, 2] = 0
    assert torch.allclose(net(x), net(x, modality_mask=torch.tensor([[1, 1, 0, 1]]).bool()))


def test_single_mask_row_broadcasts_over_windows() -> None:
    net = _net()
    x = torch.rand(3, 4, 16, 16, 16)
    row = torch.tensor([[1, 0, 0, 1]]).bool()
    assert torch.allclose(net(x, modality_mask=row), net(x, modality_mask=row.expand(3, -1)))


def test_encoder_of_absent_modality_not_run() -> None:
    net = _net()
    calls = []
    for m, enc in enumerate(net.encoders):
        enc.register_forward_hook(lambda *_, m=m: calls.append(m))
    net(torch.rand(2, 4, 16, 16, 16), modality_mask=torch.tensor([[1, 0, 1, 0], [1, 0, 0, 0]]).bool())
    assert sorted(calls) == [0, 2]


def test_missing_modality_gets_no_gradient() -> None:
    net = _net()
    net.train()
    x = torch.rand(2, 4, 16, 16, 16)
    net(x, modality_mask=torch.tensor([[1, 0, 1, 1], [1, 0, 1, 0]]).bool()).sum().backward()
    assert all(p.grad is None for p in net.encoders[1].parameters())
    assert all(p.grad is not None for p in net.encoders[0].parameters())


def test_modality_weights_change_output_and_get_gradient() -> None:
    net = _net()
    x = torch.rand(1, 4, 16, 16, 16)
    w = torch.tensor([0.7, 0.1, 0.1, 0.1], requires_grad=True)
    y = net(x, modality_weights=w)
    assert not torch.allclose(y, net(x))
    (g,) = torch.autograd.grad(y.sum(), [w])
    assert g.abs().sum() > 0


def test_encode_decode_equals_forward() -> None:
    net = _net()
    x = torch.rand(2, 4, 16, 16, 16)
    feats, mask = net.encode(x)
    sub = mask.clone()
    sub[:, 0] = False
    assert torch.allclose(net.decode(feats, sub), net(x * sub[:, :, None, None, None]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"channels": (8,)}, "at least 2 scales"),
        ({"channels": (4, 8), "strides": (2, 2)}, "strides"),
        ({"spatial_dims": 1}, "spatial_dims"),
        ({"channels": (4, 8), "decoder_channels": (4,)}, "decoder_channels"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MultiEncoderUNet(**kwargs)


def test_bad_inputs() -> None:
    net = _net()
    with pytest.raises(ValueError, match="divisible by 4"):
        net(torch.rand(1, 4, 18, 16, 16))
    with pytest.raises(ValueError, match=r"\(B, 4, \*spatial\)"):
        net(torch.rand(1, 3, 16, 16, 16))
    with pytest.raises(ValueError, match=r"`modality_mask` must have shape \(B, M\) = \(2, 4\)"):
        net(torch.rand(2, 4, 16, 16, 16), modality_mask=torch.ones(3, 4, dtype=torch.bool))


def test_2d() -> None:
    net = MultiEncoderUNet(spatial_dims=2, num_modalities=2, out_channels=1, channels=(4, 8))
    assert net(torch.rand(2, 2, 8, 8)).shape == (2, 1, 8, 8)


def test_light_decoder() -> None:
    net = MultiEncoderUNet(channels=(8, 16, 32), decoder_channels=(4, 8, 16)).eval()
    y, [feats] = net(torch.rand(1, 4, 16, 16, 16), return_features=True)
    assert y.shape == (1, 3, 16, 16, 16) and feats.shape == (1, 4, 32, 4, 4, 4)
    full = MultiEncoderUNet(channels=(8, 16, 32))
    assert sum(p.numel() for p in net.decoder.parameters()) < sum(p.numel() for p in full.decoder.parameters()) / 3


@pytest.mark.parametrize(
    "kd_scales, expected", [("bottleneck", [2]), ("all", [0, 1, 2]), ([0], [0]), ([-1, 1, 1], [1, 2]), (0, [0])]
)
def test_kd_scales_give_the_features_of_those_scales(kd_scales, expected: list[int]) -> None:
    net = _net(kd_scales=kd_scales)
    assert net.kd_scales == expected
    x = torch.rand(2, 4, 16, 16, 16)
    mask = torch.tensor([[1, 0, 1, 1], [1, 1, 1, 1]]).bool()
    _, feats = net(x, modality_mask=mask, return_features=True)
    every_scale, _ = net.encode(x, mask)
    assert len(feats) == len(expected)
    for f, s in zip(feats, expected):
        assert torch.equal(f, every_scale[s])


@pytest.mark.parametrize("kd_scales, changed", [("bottleneck", [2]), ([0], [0]), ("all", [0, 1, 2])])
def test_modality_weights_act_on_the_kd_scales_only(kd_scales, changed: list[int]) -> None:
    net = _net(kd_scales=kd_scales)
    x = torch.rand(2, 4, 16, 16, 16)
    mask = torch.ones(2, 4, dtype=torch.bool)
    features, _ = net.encode(x, mask)
    weights = torch.tensor([0.1, 0.2, 0.3, 0.4])
    seen: dict[int, list[torch.Tensor]] = {int(s): [] for s in net.fusions}
    handles = [
        f.register_forward_hook(lambda _m, _i, out, s=int(s): seen[s].append(out)) for s, f in net.fusions.items()
    ]
    net.decode(features, mask)
    net.decode(features, mask, weights)
    for h in handles:
        h.remove()
    for s, (plain, weighted) in seen.items():
        assert torch.allclose(plain, weighted) != (s in changed), s


def test_bad_kd_scales() -> None:
    with pytest.raises(ValueError, match="`kd_scales` must be one of 'bottleneck', 'all', got 'skips'"):
        _net(kd_scales="skips")
    with pytest.raises(ValueError, match=r"scale indices among \[0, 1, 2\] .* got \[3\]"):
        _net(kd_scales=[3])
    with pytest.raises(ValueError, match="`kd_scales` must be"):
        _net(kd_scales=[])


@pytest.mark.parametrize(
    "skip_scales, kd_scales, read, kd",
    [
        ("all", "all", [0, 1, 2], [0, 1, 2]),
        ([0], "all", [0, 2], [0, 2]),
        ([], "all", [2], [2]),
        ([1], [-1], [1, 2], [2]),
    ],
)
def test_skip_scales_choose_what_the_decoder_reads(skip_scales, kd_scales, read: list[int], kd: list[int]) -> None:
    net = _net(skip_scales=skip_scales, kd_scales=kd_scales)
    assert net.read_scales == read and net.kd_scales == kd
    assert sorted(int(s) for s in net.fusions) == read
    x = torch.rand(2, 4, 16, 16, 16)
    mask = torch.tensor([[1, 0, 1, 1], [1, 1, 1, 1]]).bool()
    features, _ = net.encode(x, mask)
    reference = net.decode(features, mask)
    for s in range(3):  # a scale the decoder does not read changes nothing
        changed = [f + 1 if i == s else f for i, f in enumerate(features)]
        assert torch.allclose(net.decode(changed, mask), reference) != (s in read), s


def test_fill_scales_fill_only_where_named() -> None:
    net = _net(fill_scales="bottleneck")
    assert [net.fusions[str(s)].fill for s in net.read_scales] == [False, False, True]
    x = torch.rand(1, 4, 16, 16, 16)
    mask = torch.tensor([[1, 0, 1, 1]]).bool()
    features, _ = net.encode(x, mask)
    reference = net.decode(features, mask)
    # t1 missing: its bottleneck features become the others' mean, its skip features count as zero
    for s, f in enumerate(features):
        noisy = [g.clone() for g in features]
        noisy[s][:, 1] = torch.rand_like(f[:, 1])
        assert torch.allclose(net.decode(noisy, mask), reference), s


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"skip_scales": [2]}, r"`skip_scales` must be .* among \[0, 1\]"),
        ({"skip_scales": "bottleneck"}, r"`skip_scales` must be"),
        ({"skip_scales": [0], "kd_scales": [1]}, r"`kd_scales` must be .* among \[0, 2\]"),
        ({"skip_scales": [0], "fill_scales": [1]}, r"`fill_scales` must be .* among \[0, 2\]"),
        ({"fill_scales": "skips"}, "`fill_scales` must be one of 'bottleneck', 'all'"),
        ({"fill_scales": []}, "`fill_scales` must be"),
    ],
)
def test_bad_scale_options(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _net(**kwargs)


def test_decoder_steps_load_a_decoder_of_unet_up_blocks() -> None:
    from monai.networks.blocks.dynunet_block import UnetUpBlock

    from metakd_ext.networks import DecoderUpBlock

    torch.manual_seed(0)
    monai_block = UnetUpBlock(3, 8, 4, kernel_size=3, stride=2, upsample_kernel_size=2, norm_name="instance")
    ours = DecoderUpBlock(3, 8, 4, stride=2, norm_name="instance", act_name=("leakyrelu", {"negative_slope": 0.01}))
    ours.load_state_dict(monai_block.state_dict())
    x, skip = torch.rand(1, 8, 4, 4, 4), torch.rand(1, 4, 8, 8, 8)
    torch.testing.assert_close(ours(x, skip), monai_block(x, skip))
    with pytest.raises(ValueError, match="reads a skip connection"):
        ours(x)
    lone = DecoderUpBlock(3, 8, 4, stride=2, norm_name="instance", act_name="leakyrelu", skip=False)
    assert lone(x).shape == (1, 4, 8, 8, 8)


@pytest.mark.parametrize("topology", [{}, {"fill_scales": "bottleneck", "skip_scales": [0]}], ids=["unet", "authors"])
def test_a_common_scale_of_the_bottleneck_features_is_not_identifiable(topology: dict) -> None:
    """The fusion mixes the modalities' features linearly, so every modality's bottleneck features shrunk by one
    factor (the last encoder stage's norms) and the mixing weights grown by its inverse give the same logits: a
    plain distance between the modalities' features shrinks by that factor at no cost to the prediction, in the
    U-Net and in the authors' topology alike."""
    net = _net(**topology)
    x = torch.rand(2, 4, 16, 16, 16)
    mask = torch.tensor([[1, 0, 1, 1], [1, 1, 1, 1]]).bool()
    logits, [bottleneck] = net(x, mask, return_features=True)
    factor = 0.01
    with torch.no_grad():
        for encoder in net.encoders:
            last = encoder.stages[-1]
            for norm in (last.norm2, last.norm3):
                norm.weight.mul_(factor)
                norm.bias.mul_(factor)
        net.fusions["2"].mix.weight.div_(factor)
    shrunk_logits, [shrunk] = net(x, mask, return_features=True)
    torch.testing.assert_close(shrunk, bottleneck * factor)
    torch.testing.assert_close(shrunk_logits, logits)
