"""Pairwise modality-weighted knowledge distillation loss of MetaKD."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn.modules.loss import _Loss

from metakd_ext.utils.enums import KDDistance, KDPairs, PairReduction, look_up

__all__ = ["PairwiseModalityKDLoss", "standardize_features"]

STANDARDIZE_EPS = 1e-10
"""Added to the variance when features are standardised, against division by zero: far below the variance of
features that training shrank towards zero (a standard deviation of 1e-4 keeps its full size)."""


def standardize_features(features: torch.Tensor) -> torch.Tensor:
    """Each modality's features standardised per sample and channel over the voxels (zero mean, unit variance).

    A scale-free form of the features: features that all shrink towards zero keep their size here, so a distance
    between standardised features cannot be made small by shrinking them. A channel made exactly constant still
    standardises to zero in every modality, and training finds that way out at the coarser scales of the BraTS
    U-Net (measured: the BraTS README, "Distilling where the prediction passes").

    Args:
        features: (B, M, C, *spatial) feature maps, standardised over ``spatial`` per (B, M, C); or (B, M, F)
            feature vectors, standardised over F per (B, M).

    Returns:
        A tensor of the shape of ``features``.
    """
    dims = tuple(range(3, features.ndim)) if features.ndim > 3 else (2,)
    var, mean = torch.var_mean(features, dim=dims, correction=0, keepdim=True)
    return (features - mean) * torch.rsqrt(var + STANDARDIZE_EPS)


class PairwiseModalityKDLoss(_Loss):
    """Distils every available modality's features into every other available modality's, weighted by importance.

    For one sample with availability ``a`` and per-modality features ``f_m`` of one scale (Wang et al.,
    arXiv 2405.07155, Eq. 4):

    ``L = sum_{i != j, a_i = a_j = 1} r_ij * mean_{C, spatial} d(sg(f_i), f_j)``

    where ``r_ij = p_i / p_j`` is the ratio of the importance weights (detached as a rule; see
    :meth:`metakd_ext.networks.ModalityWeightLearner.ratios`), ``sg`` is stop-gradient on the teacher ``i``, and
    ``d`` is the absolute (L1) or squared (MSE) difference. Both directions of a pair are in the sum (``pairs``
    ``"all"``, the authors' code), so the lower-weight modality is pulled harder towards the higher-weight one;
    ``pairs="to_weaker"`` (the paper's words) keeps only the pairs with ``r_ij > 1``, from the more to the less
    important modality. With ``normalize`` each modality's features are standardised per sample and channel over
    the voxels first (:func:`standardize_features`), so the term measures what the features say, not their size.
    The per-sample values are averaged over the batch (samples with fewer than two modalities contribute 0).

    Given several scales (a network's ``kd_scales``), the term of each scale is computed so (the distance being a
    mean over channels and voxels, scales of different size are comparable) and the scales are combined as a mean,
    weighted by ``scale_weights`` where given.

    Args:
        distance: ``"l1"`` (the authors') or ``"mse"``.
        pair_reduction: ``"sum"`` over pairs (the authors') or ``"mean"`` over the sample's available pairs.
        normalize: standardise the features before the distance (ours); False is the paper's plain features.
        pairs: ``"all"`` ordered pairs or ``"to_weaker"`` (see :class:`~metakd_ext.utils.KDPairs`).
        scale_weights: one non-negative weight per scale for the weighted mean over scales; default equal.

    Example::

        loss = PairwiseModalityKDLoss(normalize=True, pairs="to_weaker")
        value = loss(features, modality_mask, learner.ratios())  # features (B, M, C, D, H, W) or a list of scales
    """

    def __init__(
        self,
        distance: KDDistance | str = KDDistance.L1,
        pair_reduction: PairReduction | str = "sum",
        normalize: bool = False,
        pairs: KDPairs | str = KDPairs.ALL,
        scale_weights: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        self.distance = look_up(KDDistance, distance, "distance")
        self.pair_reduction = look_up(PairReduction, pair_reduction, "pair_reduction")
        self.normalize = bool(normalize)
        self.pairs = look_up(KDPairs, pairs, "pairs")
        if scale_weights is not None and (not scale_weights or min(scale_weights) < 0 or sum(scale_weights) <= 0):
            raise ValueError(f"`scale_weights` must be non-negative with a positive sum, got {scale_weights}.")
        self.scale_weights = None if scale_weights is None else [float(w) for w in scale_weights]

    def pair_weights(self, modality_mask: torch.Tensor, ratios: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The pairs of each sample: ``(weights, available)``, both (B, M, M).

        ``available`` is True where teacher i and student j are both available and ``i != j``; ``weights`` is
        ``r_ij`` on those of them that are distilled (all, or with ``pairs="to_weaker"`` those with ``r_ij > 1``)
        and 0 elsewhere.
        """
        num_mod = modality_mask.shape[1]
        mask = modality_mask.bool()
        available = mask[:, :, None] & mask[:, None, :]
        available &= ~torch.eye(num_mod, dtype=torch.bool, device=mask.device)
        distilled = available & (ratios.detach() > 1) if self.pairs == KDPairs.TO_WEAKER else available
        return ratios * distilled, available

    def pairwise_distances(self, features: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """(B, M, M) matrix whose entry [b, i, j] is ``mean d(sg(f_i), f_j)`` for sample b (teacher i, student j).

        Only the pairs that carry weight in some sample are computed (one (B, N) difference each, not a
        (B, M, M, N) one, which at a fine scale would not fit); the others are 0.

        Args:
            features: (B, M, C, *spatial) or (B, M, F).
            weights: (B, M, M) pair weights, the first of :meth:`pair_weights`.
        """
        flat = features.flatten(2)
        teacher = flat.detach()
        dist = flat.new_zeros(weights.shape)
        for i, j in (weights != 0).any(dim=0).nonzero().tolist():
            diff = teacher[:, i] - flat[:, j]
            dist[:, i, j] = (diff.abs() if self.distance == KDDistance.L1 else diff.square()).mean(dim=1)
        return dist

    def forward(
        self, features: torch.Tensor | Sequence[torch.Tensor], modality_mask: torch.Tensor, ratios: torch.Tensor
    ) -> torch.Tensor:
        """
        Args:
            features: (B, M, C, *spatial) per-modality features of one scale (e.g. the network's bottleneck), or a
                sequence of them, one per scale (the network's ``kd_scales``).
            modality_mask: (B, M) bool availability.
            ratios: (M, M) pair weights, entry [i, j] for teacher i and student j.

        Returns:
            Scalar loss.

        Raises:
            ValueError: shapes of the arguments do not agree, or ``scale_weights`` has another number of scales.
        """
        scales = [features] if isinstance(features, torch.Tensor) else list(features)
        if not scales:
            raise ValueError("`features` must hold at least one scale.")
        if self.scale_weights is not None and len(self.scale_weights) != len(scales):
            raise ValueError(
                f"`scale_weights` has {len(self.scale_weights)} entries but the features have {len(scales)} scales."
            )
        batch, num_mod = scales[0].shape[:2]
        if modality_mask.shape != (batch, num_mod):
            raise ValueError(f"`modality_mask` must have shape {(batch, num_mod)}, got {tuple(modality_mask.shape)}.")
        if ratios.shape != (num_mod, num_mod):
            raise ValueError(f"`ratios` must have shape {(num_mod, num_mod)}, got {tuple(ratios.shape)}.")
        weights, available = self.pair_weights(modality_mask.to(scales[0].device), ratios.to(scales[0].device).float())
        scale_weights = self.scale_weights or [1.0] * len(scales)
        total = scales[0].new_zeros((), dtype=torch.float32)
        for scale, w in zip(scales, scale_weights):
            if scale.shape[:2] != (batch, num_mod):
                raise ValueError(
                    f"every scale's features must start with {(batch, num_mod)}, got {tuple(scale.shape)}."
                )
            f = standardize_features(scale.float()) if self.normalize else scale.float()
            per_sample = (self.pairwise_distances(f, weights) * weights).sum(dim=(1, 2))
            if self.pair_reduction == PairReduction.MEAN:
                per_sample = per_sample / available.sum(dim=(1, 2)).clamp_min(1)
            total = total + w * per_sample.mean()
        return total / sum(scale_weights)
