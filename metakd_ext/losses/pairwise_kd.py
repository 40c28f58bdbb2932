"""Pairwise modality-weighted knowledge distillation loss of MetaKD."""

from __future__ import annotations

import torch
from torch.nn.modules.loss import _Loss

from metakd_ext.utils.enums import KDDistance, PairReduction, look_up

__all__ = ["PairwiseModalityKDLoss"]


class PairwiseModalityKDLoss(_Loss):
    """Distils every available modality's features into every other available modality's, weighted by importance.

    For one sample with availability ``a`` and per-modality features ``f_m`` (Wang et al., arXiv 2405.07155, Eq. 4):

    ``L = sum_{i != j, a_i = a_j = 1} r_ij * mean_{C, spatial} d(sg(f_i), f_j)``

    where ``r_ij = p_i / p_j`` is the ratio of the importance weights (detached as a rule; see
    :meth:`metakd_ext.networks.ModalityWeightLearner.ratios`), ``sg`` is stop-gradient on the teacher ``i``, and
    ``d`` is the absolute (L1) or squared (MSE) difference. Both directions of a pair are in the sum, so the
    lower-weight modality is pulled harder towards the higher-weight one. The per-sample values are averaged over
    the batch (samples with fewer than two modalities contribute 0).

    Args:
        distance: ``"l1"`` (the authors') or ``"mse"``.
        pair_reduction: ``"sum"`` over pairs (the authors') or ``"mean"`` over the sample's available pairs.

    Example::

        loss = PairwiseModalityKDLoss()
        value = loss(features, modality_mask, learner.ratios())  # features (B, M, C, D, H, W), mask (B, M)
    """

    def __init__(self, distance: KDDistance | str = KDDistance.L1, pair_reduction: PairReduction | str = "sum") -> None:
        super().__init__()
        self.distance = look_up(KDDistance, distance, "distance")
        self.pair_reduction = look_up(PairReduction, pair_reduction, "pair_reduction")

    def pairwise_distances(self, features: torch.Tensor) -> torch.Tensor:
        """(B, M, M) matrix whose entry [b, i, j] is ``mean d(sg(f_i), f_j)`` for sample b (teacher i, student j)."""
        teacher = features.detach().flatten(2).unsqueeze(2)  # (B, M, 1, N)
        student = features.flatten(2).unsqueeze(1)  # (B, 1, M, N)
        diff = teacher - student
        dist = diff.abs() if self.distance == KDDistance.L1 else diff.square()
        return dist.mean(dim=3)

    def forward(self, features: torch.Tensor, modality_mask: torch.Tensor, ratios: torch.Tensor) -> torch.Tensor:
        """
        Args:
            features: (B, M, C, *spatial) per-modality features (e.g. the network's bottleneck).
            modality_mask: (B, M) bool availability.
            ratios: (M, M) pair weights, entry [i, j] for teacher i and student j.

        Returns:
            Scalar loss.

        Raises:
            ValueError: shapes of the arguments do not agree.
        """
        batch, num_mod = features.shape[:2]
        if modality_mask.shape != (batch, num_mod):
            raise ValueError(f"`modality_mask` must have shape {(batch, num_mod)}, got {tuple(modality_mask.shape)}.")
        if ratios.shape != (num_mod, num_mod):
            raise ValueError(f"`ratios` must have shape {(num_mod, num_mod)}, got {tuple(ratios.shape)}.")
        mask = modality_mask.bool()
        pairs = mask[:, :, None] & mask[:, None, :]
        pairs &= ~torch.eye(num_mod, dtype=torch.bool, device=features.device)
        dist = self.pairwise_distances(features.float())
        per_sample = (dist * ratios.to(dist) * pairs).sum(dim=(1, 2))
        if self.pair_reduction == PairReduction.MEAN:
            per_sample = per_sample / pairs.sum(dim=(1, 2)).clamp_min(1)
        return per_sample.mean()
