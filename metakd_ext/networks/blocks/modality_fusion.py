"""Availability-aware fusion of per-modality feature maps."""
# No `from __future__ import annotations` here: TorchScript (`ckpt_export`) reads these annotations as types.

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from metakd_ext.networks.export import static_graph
from metakd_ext.utils.availability import zero_missing

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
    avail = modality_mask.reshape(list(modality_mask.shape) + [1] * (features.ndim - 2)).to(features.dtype)
    mean = (features * avail).sum(dim=1, keepdim=True) / avail.sum(dim=1, keepdim=True).clamp_min(1.0)
    return torch.where(avail != 0, features, mean)


class ModalityFusion(nn.Module):
    """Fills missing modalities with the mean of the available ones, concatenates, and mixes by a 1x1 convolution.

    With ``fill=False`` the missing modalities' features are not filled but count as zero, so the fused features
    are a mix of the available modalities alone (the authors fill at the bottleneck only, and their skip
    connections carry the available modalities).

    Filling and mixing are linear, so when the whole batch shares one mask (sliding windows, per-subset decoding,
    a batch dropped as one) and the modality weights, if any, are shared too, the fusion folds them into the
    mixing weights instead: with ``W_m`` the mixing weights of modality ``m`` and ``S`` the available set,
    ``sum_m W_m f'_m = sum_{m in S} (W_m + sum_{k not in S} W_k / |S|) f_m``. Only the available modalities' features
    are read, and nothing of the size of the features is filled. Per-sample masks take the fill-and-mix path, and
    so does every mask in TorchScript and ``torch.export`` (:func:`~metakd_ext.networks.static_graph`), where the
    graph may not depend on the mask's values.

    Args:
        spatial_dims: number of spatial dimensions; 0 for feature vectors (B, M, C), mixed by a linear layer.
        num_modalities: M.
        in_channels: C, channels of one modality's features.
        out_channels: channels after fusion.
        fill: fill missing modalities with the mean of the available ones; False: mix the available modalities'
            features alone (those of missing ones count as zero).

    Example::

        fusion = ModalityFusion(3, num_modalities=4, in_channels=16, out_channels=16)
        y = fusion(torch.rand(2, 4, 16, 8, 8, 8), torch.tensor([[1, 0, 1, 1], [0, 0, 1, 0]]).bool())  # (2, 16, 8, 8, 8)
    """

    def __init__(
        self, spatial_dims: int, num_modalities: int, in_channels: int, out_channels: int, fill: bool = True
    ) -> None:
        super().__init__()
        if spatial_dims not in (0, 2, 3):
            raise ValueError(f"`spatial_dims` must be 0, 2 or 3, got {spatial_dims}.")
        self.spatial_dims = spatial_dims
        self.num_modalities = num_modalities
        self.fill = fill
        self.mix: nn.Linear | nn.Conv2d | nn.Conv3d
        if spatial_dims == 0:
            self.mix = nn.Linear(num_modalities * in_channels, out_channels)
        elif spatial_dims == 2:
            self.mix = nn.Conv2d(num_modalities * in_channels, out_channels, kernel_size=1)
        else:
            self.mix = nn.Conv3d(num_modalities * in_channels, out_channels, kernel_size=1)

    def forward(
        self, features: torch.Tensor, modality_mask: torch.Tensor, modality_weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        """
        Args:
            features: (B, M, C, *spatial) per-modality features; the values of missing modalities are ignored.
            modality_mask: (B, M) bool availability.
            modality_weights: optional (M,) or (B, M) weights multiplied onto each modality's features after
                filling, as in the MetaKD meta step.

        Returns:
            (B, out_channels, *spatial) fused features.
        """
        if not static_graph():
            shared_weights = modality_weights is None or modality_weights.ndim == 1
            if shared_weights and bool((modality_mask == modality_mask[:1]).all()):
                return self._fuse_shared_mask(features, modality_mask[0], modality_weights)
        if self.fill:
            fused = fill_missing_modalities(features, modality_mask)
        else:
            fused = zero_missing(features, modality_mask)
        if modality_weights is not None:
            weights = modality_weights.to(fused.dtype)
            weights = weights.expand(fused.shape[0], -1) if weights.ndim == 1 else weights
            fused = fused * weights.reshape(list(weights.shape) + [1] * (fused.ndim - 2))
        return self.mix(fused.flatten(1, 2))

    @torch.jit.unused
    def _fuse_shared_mask(
        self, features: torch.Tensor, available: torch.Tensor, modality_weights: torch.Tensor | None
    ) -> torch.Tensor:
        """Fusion of a batch that shares one (M,) mask and optional (M,) weights, with filling folded into ``mix``
        (without ``fill``, the missing modalities' mixing weights are dropped: their features are zero)."""
        weight = self.mix.weight
        per_modality = weight.reshape(weight.shape[0], self.num_modalities, -1, *weight.shape[2:])  # (D, M, C, ...)
        if modality_weights is not None:
            scale = modality_weights.to(weight.dtype).reshape(1, -1, *([1] * (per_modality.ndim - 2)))
            per_modality = per_modality * scale
        if not bool(available.all()):
            kept = per_modality[:, available]
            if self.fill:
                kept = kept + per_modality[:, ~available].sum(dim=1, keepdim=True) / int(available.sum())
            per_modality = kept
            features = features[:, available]
        mix_fns: dict[int, Callable[..., torch.Tensor]] = {0: F.linear, 2: F.conv2d, 3: F.conv3d}
        mix_fn = mix_fns[self.spatial_dims]
        return mix_fn(features.flatten(1, 2), per_modality.flatten(1, 2), self.mix.bias)
