"""Multi-modal classifier with one encoder per modality (images and tables mixed) and missing-modality fusion."""
# No `from __future__ import annotations` here: TorchScript (`ckpt_export`) reads these annotations as types.

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from metakd_ext.networks.blocks.modality_fusion import ModalityFusion
from metakd_ext.networks.export import static_graph
from metakd_ext.networks.scales import resolve_scales
from metakd_ext.utils.availability import (
    batch_size_of,
    complete_empty_samples,
    has_values,
    resolve_modality_mask,
    zero_missing,
)

__all__ = ["MultiEncoderClassifier"]


class MultiEncoderClassifier(nn.Module):
    """Classifies a subject from any subset of heterogeneous modalities (MetaKD on ADNI, Wang et al.,
    arXiv 2405.07155).

    Each modality has its own encoder (e.g. :class:`~metakd_ext.networks.ImageEncoder` for T1 MRI or PET,
    :class:`~metakd_ext.networks.TabularEncoder` for clinical scores or CSF biomarkers) whose output is projected
    to ``feature_size``. Features of missing modalities are replaced by the mean of the available ones
    (DESIGN.md section 1), concatenated and mixed (:class:`~metakd_ext.networks.ModalityFusion`), and a head
    gives the class logits. An encoder runs only on the samples that have its modality; in TorchScript
    (``monai.bundle ckpt_export``) every encoder runs on every sample (see :mod:`metakd_ext.networks.export`).

    Args:
        modalities: the M modality names, in the order of the availability mask.
        encoders: one encoder per modality name; each must expose ``out_features``.
        num_classes: number of classes.
        feature_size: width F of every modality's projected feature, the distillation space.
        hidden_size: width of the fused feature before the head.
        dropout: dropout before the head.
        kd_scales: the scales that carry distillation and the meta step's weights, as for
            :class:`~metakd_ext.networks.MultiEncoderUNet`; the modality vectors are this network's one scale, so
            ``"bottleneck"``, ``"all"``, 0 and -1 all name them (the bundles' ``kd_scales`` key, checked here).

    Example::

        net = MultiEncoderClassifier(
            ["mri", "csf"], {"mri": ImageEncoder(3, 1, (8, 16)), "csf": TabularEncoder(3, (16,))}, num_classes=3
        )
        x = {"mri": torch.rand(2, 1, 32, 32, 32), "csf": torch.rand(2, 3)}
        logits, features = net(x, torch.tensor([[1, 0], [1, 1]]).bool(), return_features=True)  # (2, 3), (2, 2, 64)
    """

    def __init__(
        self,
        modalities: Sequence[str],
        encoders: Mapping[str, nn.Module],
        num_classes: int,
        feature_size: int = 64,
        hidden_size: int = 64,
        dropout: float = 0.0,
        kd_scales: str | int | Sequence[int] = "bottleneck",
    ) -> None:
        super().__init__()
        resolve_scales(kd_scales, 1)
        self.modalities = [str(m) for m in modalities]
        if len(self.modalities) < 1 or len(set(self.modalities)) != len(self.modalities):
            raise ValueError(f"`modalities` must be distinct names, at least one, got {self.modalities}.")
        unknown = sorted(set(encoders) - set(self.modalities))
        absent = [m for m in self.modalities if m not in encoders]
        if unknown or absent:
            raise ValueError(
                f"`encoders` must have one entry per modality {self.modalities}; missing {absent}, unknown {unknown}."
            )
        if num_classes < 2:
            raise ValueError(f"`num_classes` must be >= 2, got {num_classes}.")
        for name, value in (("feature_size", feature_size), ("hidden_size", hidden_size)):
            if value < 1:
                raise ValueError(f"`{name}` must be >= 1, got {value}.")
        self.encoders = nn.ModuleDict({m: encoders[m] for m in self.modalities})
        widths = {m: int(getattr(encoders[m], "out_features", 0)) for m in self.modalities}
        if any(w < 1 for w in widths.values()):
            raise ValueError(f"every encoder must expose `out_features` >= 1, got {widths}.")
        self.projections = nn.ModuleDict({m: nn.Linear(widths[m], feature_size) for m in self.modalities})
        self.fusion = ModalityFusion(0, len(self.modalities), feature_size, hidden_size)
        self.head = nn.Sequential(nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(hidden_size, num_classes))
        self.num_classes = num_classes
        self.feature_size = feature_size

    @property
    def num_modalities(self) -> int:
        return len(self.modalities)

    def encode(
        self, x: dict[str, torch.Tensor], modality_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encodes each available modality of each sample.

        Args:
            x: {modality: (B, *shape_m)} for every modality name (values of missing ones are ignored).
            modality_mask: (B, M) availability, or None to treat all-zero inputs as missing.

        Returns:
            ``(features, mask)``: (B, M, F) features (zero where missing) and the resolved (B, M) bool mask.

        Raises:
            ValueError: a modality is absent from ``x``.
        """
        if static_graph():
            return self._encode_all(x, modality_mask)
        return self._encode_available(x, modality_mask)

    def _encode_all(
        self, x: dict[str, torch.Tensor], modality_mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`encode` as a graph that does not depend on the mask's values: every encoder on every sample."""
        encoded: list[torch.Tensor] = []
        present: list[torch.Tensor] = []
        for name, encoder in self.encoders.items():
            encoded.append(encoder(x[name]))
            present.append(has_values(x[name]))
        projected: list[torch.Tensor] = []
        for m, projection in enumerate(self.projections.values()):
            projected.append(projection(encoded[m]))
        features = torch.stack(projected, dim=1)
        if modality_mask is None:
            mask = complete_empty_samples(torch.stack(present, dim=1))
        else:
            mask = modality_mask.to(torch.bool).expand(features.shape[0], features.shape[1])
        return zero_missing(features, mask), mask

    @torch.jit.unused
    def _encode_available(
        self, x: dict[str, torch.Tensor], modality_mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`encode` in eager mode: each encoder runs only on the samples that have its modality."""
        absent = [m for m in self.modalities if m not in x]
        if absent:
            raise ValueError(f"input lacks modalities {absent}; give every modality (zeros where missing).")
        ordered = {m: x[m] for m in self.modalities}
        mask = resolve_modality_mask(ordered, modality_mask)
        batch = batch_size_of(ordered)
        features: torch.Tensor | None = None
        for m, name in enumerate(self.modalities):
            rows = mask[:, m].nonzero(as_tuple=True)[0]
            if rows.numel() == 0:
                continue
            out = self.projections[name](self.encoders[name](ordered[name][rows]))
            if features is None:
                features = out.new_zeros(batch, self.num_modalities, out.shape[1])
            features[rows, m] = out
        if features is None:
            raise ValueError(
                "no available modality in the batch; every sample needs one (PrepareModalityBatch checks the mask)."
            )
        return features, mask

    def classify(
        self, features: torch.Tensor, modality_mask: torch.Tensor, modality_weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Fuses (B, M, F) features under a (B, M) mask (optionally weighted per modality) into (B, classes) logits."""
        return self.head(self.fusion(features, modality_mask, modality_weights))

    def forward(
        self,
        x: dict[str, torch.Tensor],
        modality_mask: torch.Tensor | None = None,
        modality_weights: torch.Tensor | None = None,
        return_features: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            x: {modality: (B, *shape_m)}: (B, C, *spatial) for an image modality, (B, n_m) for a tabular one.
            modality_mask: (B, M) bool availability, or None to treat all-zero inputs as missing.
            modality_weights: optional (M,) or (B, M) weights on each modality's features (the meta step).
            return_features: also return the (B, M, F) per-modality features for distillation.

        Returns:
            (B, num_classes) logits, and with ``return_features`` the (B, M, F) features (zero where missing).
        """
        features, mask = self.encode(x, modality_mask)
        logits = self.classify(features, mask, modality_weights)
        if return_features:
            return logits, features
        return logits
