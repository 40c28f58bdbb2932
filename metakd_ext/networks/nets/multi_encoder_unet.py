"""Multi-encoder 3D U-Net for segmentation with missing modalities."""
# No `from __future__ import annotations` here: TorchScript (`ckpt_export`) reads these annotations as types.

import math
from collections.abc import Sequence

import torch
from monai.networks.blocks.dynunet_block import UnetBasicBlock, UnetOutBlock, UnetResBlock
from torch import nn

from metakd_ext.networks.blocks.decoder_block import DecoderUpBlock
from metakd_ext.networks.blocks.modality_fusion import ModalityFusion
from metakd_ext.networks.export import static_graph
from metakd_ext.networks.scales import resolve_scales
from metakd_ext.utils.availability import channel_mask, complete_empty_samples, resolve_modality_mask, zero_missing

__all__ = ["ModalityEncoder", "MultiEncoderUNet"]


class ModalityEncoder(nn.Module):
    """The encoder of one modality: a U-Net contracting path returning the features of every scale.

    Args:
        spatial_dims: number of spatial dimensions.
        in_channels: channels of one modality's input (1 for an MRI sequence).
        channels: feature width of each scale, finest first.
        strides: down-sampling stride entering each scale after the first (``len(channels) - 1`` entries).
        norm: normalisation, as MONAI's ``get_norm_layer`` names it.
        act: activation, as MONAI's ``get_act_layer`` names it.
        res_block: residual blocks instead of plain double convolutions.
        dropout: dropout rate or spec inside the blocks.
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        channels: Sequence[int],
        strides: Sequence[int],
        norm: tuple | str,
        act: tuple | str,
        res_block: bool,
        dropout: tuple | str | float | None = None,
    ) -> None:
        super().__init__()
        block = UnetResBlock if res_block else UnetBasicBlock
        ins = [in_channels, *channels[:-1]]
        strides_ = [1, *strides]
        self.stages = nn.ModuleList(
            block(spatial_dims, i, o, kernel_size=3, stride=s, norm_name=norm, act_name=act, dropout=dropout)
            for i, o, s in zip(ins, channels, strides_)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """
        Args:
            x: (N, in_channels, *spatial).

        Returns:
            One (N, channels[s], *spatial_s) tensor per scale, finest first.
        """
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features


class MultiEncoderUNet(nn.Module):
    """One encoder per modality, availability-aware fusion at every scale, one shared decoder.

    The MetaKD network (Wang et al., arXiv 2405.07155) with a U-Net in place of the authors' ResNet-50 + ASPP.
    Each modality is encoded on its own. At every scale the decoder reads (the bottleneck and each of
    ``skip_scales``) the features of a missing modality are replaced by the mean of the available modalities'
    features (at the ``fill_scales``; elsewhere they count as zero), the M feature maps are concatenated and mixed
    by a 1x1 convolution, and a shared decoder with skip connections at the ``skip_scales`` predicts
    ``out_channels`` logits (for BraTS: TC, WT, ET, each through a sigmoid). The defaults fill and skip at every
    scale; ``fill_scales="bottleneck"`` with ``skip_scales=[0]`` is the authors' topology in U-Net form: missing
    modalities filled at the bottleneck only, skips carrying the available modalities, and a decoder that reads
    the bottleneck (where the paper distils) with the finest features beside it.

    Availability is the ``modality_mask`` argument, or, when it is None, every input channel that is all zero
    counts as missing, so ``network(image)`` works in sliding-window inference and MONAI Label. A given mask is
    used as it is: that every sample has a modality is checked once, where the mask leaves the batch
    (:class:`~metakd_ext.engines.PrepareModalityBatch`). Encoders of modalities missing from the whole batch are
    not run. The network scripts (``torch.jit.script``, ``monai.bundle ckpt_export``) and exports
    (:func:`~metakd_ext.networks.export_segmentation_network`); those graphs run every encoder (see
    :mod:`metakd_ext.networks.export`).

    Args:
        spatial_dims: number of spatial dimensions (3 for volumes).
        num_modalities: M, one input channel per modality.
        out_channels: output channels.
        channels: feature width of each scale, finest first; ``len(channels) - 1`` down-samplings.
        strides: down-sampling strides, ``len(channels) - 1`` entries; default 2 everywhere.
        decoder_channels: width of the fused features and the decoder at each scale; default ``channels``. A
            lighter decoder (e.g. half the widths, as the authors' light decoder after heavy encoders) makes
            decoding many modality subsets of one encoding cheaper.
        share_encoder: one encoder with shared weights for all modalities, as the authors do.
        norm: normalisation (MONAI name), instance norm by default.
        act: activation (MONAI name).
        res_block: residual encoder and decoder blocks.
        dropout: dropout inside the blocks.
        kd_scales: the scales whose per-modality features ``return_features`` gives (for distillation) and that
            ``modality_weights`` multiply (the meta step): ``"bottleneck"`` (the paper's), ``"all"`` (every scale
            whose fused features the decoder reads: the bottleneck and every skip) or scale indices (0 the finest,
            -1 the bottleneck), all among the scales the decoder reads. See
            :func:`~metakd_ext.networks.resolve_scales`.
        fill_scales: the scales (among those the decoder reads) where a missing modality's features are the mean
            of the available ones: ``"all"`` (default), ``"bottleneck"`` (the authors'), or indices; at the others
            the fusion mixes the available modalities alone.
        skip_scales: the scales below the bottleneck whose fused features the decoder reads through a skip
            connection: ``"all"`` (default) or indices (``[]``: none, an encoder-decoder through the bottleneck
            alone). The encoders still compute every scale; a scale without a skip has no fusion.

    Example::

        net = MultiEncoderUNet(spatial_dims=3, num_modalities=4, out_channels=3, channels=(8, 16, 32))
        x = torch.rand(2, 4, 32, 32, 32)
        y = net(x, modality_mask=torch.tensor([[1, 0, 1, 1], [1, 1, 1, 1]]).bool())  # (2, 3, 32, 32, 32)
        y, [bottleneck] = net(x, return_features=True)  # bottleneck: (2, 4, 32, 8, 8, 8)
        net = MultiEncoderUNet(3, 4, 3, channels=(8, 16, 32), fill_scales="bottleneck", skip_scales=[0])
        net = MultiEncoderUNet(3, 4, 3, channels=(8, 16, 32), kd_scales="all")
        y, features = net(x, return_features=True)  # (2, 4, 8, 32, 32, 32), (2, 4, 16, 16, 16, 16), (2, 4, 32, 8, 8, 8)
    """

    kd_scales: list[int]
    """Indices of the scales that carry distillation and the meta step's weights, finest first."""
    read_scales: list[int]
    """Indices of the scales whose fused features the decoder reads (``skip_scales`` and the bottleneck)."""

    def __init__(
        self,
        spatial_dims: int = 3,
        num_modalities: int = 4,
        out_channels: int = 3,
        channels: Sequence[int] = (16, 32, 64, 128, 256),
        strides: Sequence[int] | None = None,
        decoder_channels: Sequence[int] | None = None,
        share_encoder: bool = False,
        norm: tuple | str = ("instance", {"affine": True}),
        act: tuple | str = ("leakyrelu", {"inplace": True, "negative_slope": 0.01}),
        res_block: bool = True,
        dropout: tuple | str | float | None = None,
        kd_scales: str | int | Sequence[int] = "bottleneck",
        fill_scales: str | int | Sequence[int] = "all",
        skip_scales: str | Sequence[int] = "all",
    ) -> None:
        super().__init__()
        if spatial_dims not in (2, 3):
            raise ValueError(f"`spatial_dims` must be 2 or 3, got {spatial_dims}.")
        if num_modalities < 1:
            raise ValueError(f"`num_modalities` must be >= 1, got {num_modalities}.")
        if len(channels) < 2:
            raise ValueError(f"`channels` needs at least 2 scales, got {tuple(channels)}.")
        strides = [2] * (len(channels) - 1) if strides is None else list(strides)
        if len(strides) != len(channels) - 1:
            raise ValueError(f"`strides` needs len(channels) - 1 = {len(channels) - 1} entries, got {strides}.")
        decoder_channels = list(channels) if decoder_channels is None else list(decoder_channels)
        if len(decoder_channels) != len(channels):
            raise ValueError(
                f"`decoder_channels` needs one width per scale ({len(channels)}), got {tuple(decoder_channels)}."
            )
        self.spatial_dims = spatial_dims
        self.num_modalities = num_modalities
        self.channels = tuple(channels)
        self.decoder_channels = tuple(decoder_channels)
        self.strides = tuple(strides)
        last = len(channels) - 1
        skips = resolve_scales(skip_scales, len(channels), "skip_scales", among=range(last), allow_empty=True)
        self.read_scales = [*skips, last]
        self.kd_scales = resolve_scales(kd_scales, len(channels), "kd_scales", among=self.read_scales)
        fill = resolve_scales(fill_scales, len(channels), "fill_scales", among=self.read_scales)
        self.size_divisible = math.prod(self.strides)
        """Spatial sizes of the input must be multiples of this."""
        self.share_encoder = share_encoder
        num_encoders = 1 if share_encoder else num_modalities
        self.encoders = nn.ModuleList(
            ModalityEncoder(spatial_dims, 1, channels, strides, norm, act, res_block, dropout)
            for _ in range(num_encoders)
        )
        self.fusions = nn.ModuleDict(
            {
                str(s): ModalityFusion(spatial_dims, num_modalities, channels[s], decoder_channels[s], s in fill)
                for s in self.read_scales
            }
        )
        """One fusion per scale the decoder reads, keyed by the scale's index."""
        self.decoder = nn.ModuleList(
            DecoderUpBlock(
                spatial_dims, decoder_channels[s + 1], decoder_channels[s], strides[s], norm, act, s in skips
            )
            for s in range(last - 1, -1, -1)
        )
        self.head = UnetOutBlock(spatial_dims, decoder_channels[0], out_channels)

    def encode(
        self, x: torch.Tensor, modality_mask: torch.Tensor | None = None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Encodes each available modality on its own.

        Args:
            x: (B, M, *spatial) input, one channel per modality; spatial sizes divisible by ``size_divisible``.
            modality_mask: (B, M) availability, or None to infer it from all-zero channels.

        Returns:
            ``(features, mask)``: one (B, M, C_s, *spatial_s) tensor per scale (finest first; zeros where a
            modality is missing) and the resolved (B, M) bool mask.
        """
        if static_graph():
            if modality_mask is None:
                mask = complete_empty_samples(channel_mask(x))
            else:
                mask = modality_mask.to(torch.bool).expand(x.shape[0], self.num_modalities)
            return self._encode_all(x, mask), mask
        return self._encode_available(x, modality_mask)

    @torch.jit.unused
    def _encode_available(
        self, x: torch.Tensor, modality_mask: torch.Tensor | None
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """:meth:`encode` in eager mode: the input checked, each encoder run only on the samples that have its
        modality."""
        if x.ndim != self.spatial_dims + 2 or x.shape[1] != self.num_modalities:
            raise ValueError(
                f"input must have shape (B, {self.num_modalities}, *spatial) with {self.spatial_dims} spatial dims, "
                f"got {tuple(x.shape)}."
            )
        bad = [s for s in x.shape[2:] if s % self.size_divisible]
        if bad:
            raise ValueError(
                f"input spatial shape {tuple(x.shape[2:])} must be divisible by {self.size_divisible}; "
                "pad or crop it (e.g. monai.transforms.DivisiblePad)."
            )
        mask = resolve_modality_mask(x, modality_mask)
        batch = x.shape[0]
        if self.share_encoder:
            rows, cols = mask.nonzero(as_tuple=True)
            outs = self.encoders[0](x[rows, cols].unsqueeze(1))
            features = []
            for out in outs:
                full = out.new_zeros(batch, self.num_modalities, *out.shape[1:])
                full[rows, cols] = out
                features.append(full)
            return features, mask
        features = []
        for m, encoder in enumerate(self.encoders):
            rows = mask[:, m].nonzero(as_tuple=True)[0]
            if rows.numel() == 0:
                continue
            outs = encoder(x[rows, m : m + 1])
            if not features:
                features = [out.new_zeros(batch, self.num_modalities, *out.shape[1:]) for out in outs]
            for full, out in zip(features, outs):
                full[rows, m] = out
        return features, mask

    def _encode_all(self, x: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        """Per-scale (B, M, C_s, *spatial_s) features, every encoder run on every sample, zeroed where the (B, M)
        ``mask`` is False: a graph that does not depend on the mask's values."""
        batch, num_mod = x.shape[0], x.shape[1]
        scales: list[list[torch.Tensor]] = []
        if self.share_encoder:
            for out in self.encoders[0](x.reshape([batch * num_mod, 1] + list(x.shape[2:]))):
                scales.append([out.reshape([batch, num_mod] + list(out.shape[1:]))])
        else:
            for m, encoder in enumerate(self.encoders):
                for s, out in enumerate(encoder(x[:, m : m + 1])):
                    if m == 0:
                        scales.append([])
                    scales[s].append(out)
        features: list[torch.Tensor] = []
        for outs in scales:
            features.append(zero_missing(outs[0] if self.share_encoder else torch.stack(outs, dim=1), mask))
        return features

    def decode(
        self,
        features: list[torch.Tensor],
        modality_mask: torch.Tensor,
        modality_weights: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Fuses per-modality features under an availability mask and decodes them.

        Args:
            features: per-scale (B, M, C_s, *spatial_s) features from :meth:`encode`.
            modality_mask: (B, M) bool; a subset of the modalities that were encoded.
            modality_weights: optional (M,) or (B, M) weights multiplied onto each modality's features at the
                scales in ``kd_scales`` (the MetaKD meta step).

        Returns:
            (B, out_channels, *spatial) logits.
        """
        last = len(features) - 1
        fused: list[torch.Tensor | None] = []
        for _ in range(len(features)):
            fused.append(None)
        for key, fusion in self.fusions.items():
            s = int(key)
            fused[s] = fusion(features[s], modality_mask, modality_weights if s in self.kd_scales else None)
        y = fused[last]
        if y is None:
            raise RuntimeError("the bottleneck has no fusion.")
        for i, up in enumerate(self.decoder):
            y = up(y, fused[last - 1 - i])
        return self.head(y)

    def forward(
        self,
        x: torch.Tensor,
        modality_mask: torch.Tensor | None = None,
        modality_weights: torch.Tensor | None = None,
        return_features: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """
        Args:
            x: (B, M, *spatial) input; channels of missing modalities are ignored.
            modality_mask: (B, M) bool availability, or None to treat all-zero channels as missing.
            modality_weights: optional (M,) or (B, M) weights on the features of the ``kd_scales`` (meta step).
            return_features: also return the per-modality features of the ``kd_scales`` for distillation.

        Returns:
            (B, out_channels, *spatial) logits, and with ``return_features`` also one (B, M, C_s, *spatial_s)
            tensor of per-modality features (zero where missing) per scale of ``kd_scales``, finest first.
        """
        features, mask = self.encode(x, modality_mask)
        logits = self.decode(features, mask, modality_weights)
        if return_features:
            return logits, [features[s] for s in self.kd_scales]
        return logits
