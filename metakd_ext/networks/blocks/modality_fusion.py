"""Availability-aware fusion of per-modality feature maps."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["fill_missing_modalities", "ModalityFusion"]


def fill_missing_modalities(features: torch.Tensor, modality_mask: torch.Tensor) -> torch.Tensor:
    """Replaces each missing modality's features by the mean of the available modalities' features.

    This is what the MetaKD authors do at the bottleneck (Wang et al., arXiv 2405.07155).

    Args:
        features: (B, M, C, *spatial) per-modality features; the values of missing modalities are ignored.
        modality_mask: (B, M) bool, True where the modality is available (at least one per sample).

    Returns:
        (B, M, C, *spatial) features with the missing entries filled.
    """
    spatial = [1] * (features.ndim - 2)
    if bool((modality_mask == modality_mask[:1]).all()):
        # one mask for the whole batch (sliding windows, per-subset decoding): read only the available modalities
        row = modality_mask[0]
        if bool(row.all()):
            return features
        mean = features[:, row].mean(dim=1, keepdim=True)
        return torch.where(row.reshape(1, -1, *spatial), features, mean)
    shape = (*modality_mask.shape, *spatial)
    avail = modality_mask.reshape(shape).to(features.dtype)
    mean = (features * avail).sum(dim=1, keepdim=True) / avail.sum(dim=1, keepdim=True).clamp_min(1.0)
    return torch.where(avail.bool(), features, mean)


class ModalityFusion(nn.Module):
    """Fills missing modalities with the mean of the available ones, concatenates, and mixes by a 1x1 convolution.

    Args:
        spatial_dims: number of spatial dimensions; 0 for feature vectors (B, M, C), mixed by a linear layer.
        num_modalities: M.
        in_channels: C, channels of one modality's features.
        out_channels: channels after fusion.

    Example::

        fusion = ModalityFusion(3, num_modalities=4, in_channels=16, out_channels=16)
        y = fusion(torch.rand(2, 4, 16, 8, 8, 8), torch.tensor([[1, 0, 1, 1], [0, 0, 1, 0]]).bool())  # (2, 16, 8, 8, 8)
    """

    def __init__(self, spatial_dims: int, num_modalities: int, in_channels: int, out_channels: int) -> None:
        super().__init__()
        if spatial_dims not in (0, 2, 3):
            raise ValueError(f"`spatial_dims` must be 0, 2 or 3, got {spatial_dims}.")
        self.num_modalities = num_modalities
        self.mix: nn.Module
        if spatial_dims == 0:
            self.mix = nn.Linear(num_modalities * in_channels, out_channels)
        else:
            conv = nn.Conv3d if spatial_dims == 3 else nn.Conv2d
            self.mix = conv(num_modalities * in_channels, out_channels, kernel_size=1)

    def forward(
        self, features: torch.Tensor, modality_mask: torch.Tensor, modality_weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        """
        Args:
            features: (B, M, C, *spatial) per-modality features.
            modality_mask: (B, M) bool availability.
            modality_weights: optional (M,) or (B, M) weights multiplied onto each modality's features after
                filling, as in the MetaKD meta step.

        Returns:
            (B, out_channels, *spatial) fused features.
        """
        fused = fill_missing_modalities(features, modality_mask)
        if modality_weights is not None:
            weights = modality_weights.to(fused.dtype)
            weights = weights.expand(fused.shape[0], -1) if weights.ndim == 1 else weights
            fused = fused * weights.reshape(*weights.shape, *([1] * (fused.ndim - 2)))
        return self.mix(fused.flatten(1, 2))
