from __future__ import annotations

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


def test_fill_missing_shared_mask_matches_per_sample_path() -> None:
    feats = torch.rand(3, 4, 2, 5, 5, 5)
    shared = torch.tensor([1, 0, 1, 0]).bool().expand(3, -1)
    mixed = torch.cat([shared[:2], torch.ones(1, 4, dtype=torch.bool)])
    out = fill_missing_modalities(feats, shared)
    assert torch.allclose(out[:2], fill_missing_modalities(feats, mixed)[:2])
    assert torch.allclose(out[:, 1], (feats[:, 0] + feats[:, 2]) / 2)
    assert fill_missing_modalities(feats, torch.ones(3, 4, dtype=torch.bool)) is feats
