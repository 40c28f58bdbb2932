"""Encoders that turn one modality into a feature vector: a 3D CNN for images, an MLP for tabular values."""
# No `from __future__ import annotations` here: TorchScript (`ckpt_export`) reads these annotations as types.

from collections.abc import Mapping, Sequence

import torch
from monai.networks.blocks import ResidualUnit
from torch import nn

__all__ = ["ImageEncoder", "TabularEncoder", "modality_encoders"]


class ImageEncoder(nn.Module):
    """A CNN of strided residual units and global average pooling: (B, C_in, *spatial) -> (B, channels[-1]).

    Instance normalisation (the default) keeps the features of one subject independent of the others in its
    batch. It also removes each channel's mean over the image, which global pooling then cannot recover: for small
    images whose content is mostly shape (28 x 28 digits, 20 x 20 MFCC maps), batch normalisation keeps far more
    (the encoder runs on the samples that have the modality only, so missing ones never enter its statistics).

    Args:
        spatial_dims: number of spatial dimensions.
        in_channels: channels of the image (1 for one MRI or PET volume).
        channels: widths of the units; each unit halves the spatial size.
        dropout: dropout probability inside the units.
        norm: normalisation of the units, as MONAI's ``Norm`` takes it (``"instance"``, ``"batch"``...).

    Example::

        encoder = ImageEncoder(3, 1, channels=(8, 16, 32, 64))
        features = encoder(torch.rand(2, 1, 48, 56, 48))  # (2, 64)
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int = 1,
        channels: Sequence[int] = (16, 32, 64, 128),
        dropout: float = 0.0,
        norm: str | tuple = "instance",
    ) -> None:
        super().__init__()
        if not channels:
            raise ValueError("`channels` must name at least one width.")
        if in_channels < 1:
            raise ValueError(f"`in_channels` must be >= 1, got {in_channels}.")
        widths = [in_channels, *channels]
        self.units = nn.Sequential(
            *[
                ResidualUnit(spatial_dims, c_in, c_out, strides=2, subunits=2, dropout=dropout or None, norm=norm)
                for c_in, c_out in zip(widths[:-1], widths[1:])
            ]
        )
        self.spatial_dims = spatial_dims
        self.out_features = int(channels[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_channels, *spatial) -> (B, out_features)."""
        if not torch.jit.is_scripting():
            self._check_input(x)
        return self.units(x).flatten(2).mean(dim=2)

    @torch.jit.unused
    def _check_input(self, x: torch.Tensor) -> None:
        if x.ndim != self.spatial_dims + 2:
            raise ValueError(
                f"image input must have shape (B, C, *spatial) with {self.spatial_dims} spatial dims, "
                f"got {tuple(x.shape)}."
            )


class TabularEncoder(nn.Module):
    """An MLP for tabular values (clinical scores, biomarkers, genotype): (B, in_features) -> (B, hidden[-1]).

    Each layer is linear, layer norm, ReLU and dropout; layer norm, unlike batch norm, treats each subject alone.

    Args:
        in_features: number of values of the modality.
        hidden: widths of the layers.
        dropout: dropout probability after each layer.

    Example::

        encoder = TabularEncoder(3, hidden=(32, 32))
        features = encoder(torch.rand(2, 3))  # (2, 32)
    """

    def __init__(self, in_features: int, hidden: Sequence[int] = (64, 64), dropout: float = 0.0) -> None:
        super().__init__()
        if in_features < 1:
            raise ValueError(f"`in_features` must be >= 1, got {in_features}.")
        if not hidden:
            raise ValueError("`hidden` must name at least one width.")
        widths = [in_features, *hidden]
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(c_in, c_out), nn.LayerNorm(c_out), nn.ReLU(inplace=True), nn.Dropout(dropout)]
        self.mlp = nn.Sequential(*layers)
        self.in_features = int(in_features)
        self.out_features = int(hidden[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_features) -> (B, out_features)."""
        if not torch.jit.is_scripting():
            self._check_input(x)
        return self.mlp(x)

    @torch.jit.unused
    def _check_input(self, x: torch.Tensor) -> None:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"tabular input must have shape (B, {self.in_features}), got {tuple(x.shape)}.")


def modality_encoders(
    image_modalities: Sequence[str],
    tabular_columns: Mapping[str, Sequence[str]],
    image_channels: Sequence[int] = (16, 32, 64, 128),
    tabular_hidden: Sequence[int] = (64, 64),
    spatial_dims: int = 3,
) -> dict[str, nn.Module]:
    """One encoder per modality of a subjects table: an :class:`ImageEncoder` per image modality (one channel), a
    :class:`TabularEncoder` per tabular modality with one input per value column.

    Built in that order (images, then tables, each in config order), so that a bundle's columns alone define the
    network of :class:`~metakd_ext.networks.MultiEncoderClassifier`.

    Args:
        image_modalities: names of the image modalities.
        tabular_columns: tabular modality -> its value columns.
        image_channels: widths of every image encoder.
        tabular_hidden: widths of every tabular encoder.
        spatial_dims: spatial dimensions of the images.

    Raises:
        ValueError: a modality is both an image and a table, or a table has no column.

    Example::

        encoders = modality_encoders(["mri"], {"csf": ["abeta42", "ttau", "ptau"]}, image_channels=(8, 16))
    """
    both = sorted(set(image_modalities) & set(tabular_columns))
    if both:
        raise ValueError(f"modalities {both} are both image and tabular modalities; give each one kind.")
    empty = [m for m, columns in tabular_columns.items() if not columns]
    if empty:
        raise ValueError(f"tabular modalities {empty} have no value column; name at least one each.")
    encoders: dict[str, nn.Module] = {
        str(m): ImageEncoder(spatial_dims, 1, image_channels, dropout=0.0) for m in image_modalities
    }
    encoders.update({str(m): TabularEncoder(len(c), tabular_hidden) for m, c in tabular_columns.items()})
    return encoders
