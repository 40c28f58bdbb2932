from __future__ import annotations

import pytest
import torch

from metakd_ext.networks import ImageEncoder, TabularEncoder, modality_encoders


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


def test_modality_encoders_from_the_columns() -> None:
    encoders = modality_encoders(["mri", "pet"], {"csf": ["a", "b", "c"], "genetic": ["apoe4"]}, (4, 8), (6,))
    assert list(encoders) == ["mri", "pet", "csf", "genetic"]
    assert isinstance(encoders["pet"], ImageEncoder) and encoders["pet"].out_features == 8
    assert isinstance(encoders["csf"], TabularEncoder) and encoders["csf"].in_features == 3
    assert encoders["genetic"](torch.rand(2, 1)).shape == (2, 6)
    with pytest.raises(ValueError, match=r"modalities \['csf'\] are both image and tabular"):
        modality_encoders(["csf"], {"csf": ["a"]})
    with pytest.raises(ValueError, match=r"tabular modalities \['csf'\] have no value column"):
        modality_encoders([], {"csf": []})
