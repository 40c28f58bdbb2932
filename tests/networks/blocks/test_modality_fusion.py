from __future__ import annotations

import pytest
import torch

from metakd_ext.networks import ModalityFusion, fill_missing_modalities


def test_fill_missing_uses_mean_of_available() -> None:
    feats = torch.arange(2 * 3 * 2, dtype=torch.float32).reshape(2, 3, 2, 1)
    mask = torch.tensor([[1, 0, 1], [0, 1, 0]]).bool()
    out = fill_missing_modalities(feats, mask)
    assert torch.equal(out[0, 1], (feats[0, 0] + feats[0, 2]) / 2)
    assert torch.equal(out[0, 0], feats[0, 0])
    assert torch.equal(out[1, 0], feats[1, 1]) and torch.equal(out[1, 2], feats[1, 1])


def test_fusion_shape_and_weights() -> None:
    fusion = ModalityFusion(3, num_modalities=4, in_channels=5, out_channels=6)
    feats = torch.rand(2, 4, 5, 3, 3, 3)
    mask = torch.ones(2, 4, dtype=torch.bool)
    assert fusion(feats, mask).shape == (2, 6, 3, 3, 3)
    ones = fusion(feats, mask, torch.ones(4))
    assert torch.allclose(ones, fusion(feats, mask))


@pytest.mark.parametrize("spatial_dims", [0, 2, 3])
@pytest.mark.parametrize("available", [[1, 0, 1, 0], [0, 0, 1, 0], [1, 1, 1, 1]])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fill", [True, False])
def test_shared_mask_folding_matches_fill_and_mix(
    spatial_dims: int, available: list[int], weighted: bool, fill: bool
) -> None:
    torch.manual_seed(0)
    fusion = ModalityFusion(spatial_dims, num_modalities=4, in_channels=3, out_channels=5, fill=fill)
    feats = torch.rand(3, 4, 3, *([6] * spatial_dims))
    shared = torch.tensor(available).bool().expand(3, -1)
    mixed = torch.cat([shared[:2], torch.tensor([[0, 1, 0, 0]]).bool()])  # a differing row: the fill-and-mix path
    weights = torch.rand(4, requires_grad=True) if weighted else None
    folded = fusion(feats, shared, weights)
    reference = fusion(feats, mixed, weights)[:2]
    assert torch.allclose(folded[:2], reference, atol=1e-6)
    if weighted:
        grad_folded = torch.autograd.grad(folded[:2].sum(), weights)[0]
        assert torch.allclose(grad_folded, torch.autograd.grad(reference.sum(), weights)[0], atol=1e-5)


def test_without_fill_only_the_available_modalities_are_mixed() -> None:
    torch.manual_seed(0)
    fusion = ModalityFusion(3, num_modalities=3, in_channels=2, out_channels=4, fill=False)
    feats = torch.rand(2, 3, 2, 3, 3, 3)
    mask = torch.tensor([[1, 0, 1], [0, 1, 0]]).bool()
    zeroed = feats * mask.reshape(2, 3, 1, 1, 1, 1)
    expected = fusion.mix(zeroed.flatten(1, 2))
    torch.testing.assert_close(fusion(feats, mask), expected)  # the missing modalities' values are ignored
    torch.testing.assert_close(fusion(feats[:1], mask[:1]), expected[:1])  # the shared-mask path too
    filled = ModalityFusion(3, num_modalities=3, in_channels=2, out_channels=4)
    filled.load_state_dict(fusion.state_dict())
    assert not torch.allclose(filled(feats, mask), expected)
