from __future__ import annotations

import pytest
import torch

from metakd_ext.networks import ImageEncoder, TabularEncoder


def test_image_encoder_shapes_and_independence_of_batch() -> None:
    enc = ImageEncoder(3, 2, (4, 8, 16)).eval()
    x = torch.rand(3, 2, 24, 20, 16)
    y = enc(x)
    assert y.shape == (3, 16) and enc.out_features == 16
    assert torch.allclose(enc(x[1:2]), y[1:2], atol=1e-6)  # instance norm: no batch coupling


def test_tabular_encoder_shapes_and_independence_of_batch() -> None:
    enc = TabularEncoder(5, (8, 6), dropout=0.1).eval()
    x = torch.randn(4, 5)
    assert enc(x).shape == (4, 6) and enc.out_features == 6
    assert torch.allclose(enc(x[:1]), enc(x)[:1], atol=1e-6)


def test_errors() -> None:
    with pytest.raises(ValueError, match="channels"):
        ImageEncoder(3, 1, ())
    with pytest.raises(ValueError, match="in_features"):
        TabularEncoder(0)
    with pytest.raises(ValueError, match="spatial dims"):
        ImageEncoder(3, 1, (4,))(torch.rand(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"\(B, 3\)"):
        TabularEncoder(3)(torch.rand(2, 4))
