"""Evaluation of a multi-modal segmentation network under every modality subset."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from monai.data import MetaTensor
from torch import nn

from metakd_ext.engines.subset_evaluator import SubsetEvaluator
from metakd_ext.inferers.subset_inferer import SubsetSlidingWindowInferer
from metakd_ext.metrics.brats_regions import BRATS_REGIONS, brats_region_scores, soft_dice_score
from metakd_ext.utils.availability import ModalityInputs

__all__ = ["SegmentationSubsetEvaluator"]


class SegmentationSubsetEvaluator(SubsetEvaluator):
    """Scores a BraTS region network on each case under each modality subset it has.

    One case per batch: its subsets are predicted together by the sliding-window ``inferer`` (each modality
    encoded once per window on the fast path), the sigmoid thresholded at 0.5, and TC, WT and ET scored with
    :func:`~metakd_ext.metrics.brats_region_scores` (Dice, HD95 in mm from the image's voxel spacing, the ET
    post-processing). Score columns: ``label_et_voxels``, :data:`~metakd_ext.metrics.SCORE_COLUMNS` and, for the LCKD
    teacher election (not written to the files), ``soft_dice_<region>`` of the sigmoid.

    Args:
        device: device of the network.
        val_data_loader: batches of one case with ``image`` (1, M, *spatial) as a MetaTensor (its voxel spacing
            makes HD95 in mm), ``label`` (1, 3, *spatial), ``modality_mask`` (1, M) and ``case``.
        network: a network with ``encode`` / ``decode`` (:class:`~metakd_ext.networks.MultiEncoderUNet`).
        inferer: the sliding-window inferer over subsets (fast or plain path).
        modality_names: the M modality names in channel order.
        subsets: subset names, ``"all"`` or ``"available"`` (see :class:`SubsetEvaluator`).
        et_min_voxels: ET post-processing threshold (predicted ET under it counts as none).
        kwargs: further arguments of :class:`SubsetEvaluator` (``amp``, ``val_handlers``, ``prepare_batch``...).

    Raises:
        ValueError: an unknown subset name or a negative ``et_min_voxels``; in a run, more than one case per batch
            or an image without metadata.
    """

    def __init__(
        self,
        device: torch.device | str,
        val_data_loader: Iterable,
        network: nn.Module,
        inferer: SubsetSlidingWindowInferer,
        modality_names: Sequence[str],
        subsets: str | Sequence[str] = "all",
        et_min_voxels: int = 500,
        **kwargs: Any,
    ) -> None:
        if et_min_voxels < 0:
            raise ValueError(f"`et_min_voxels` must be >= 0, got {et_min_voxels}.")
        super().__init__(device, val_data_loader, network, modality_names, subsets, **kwargs)
        self.inferer = inferer
        self.et_min_voxels = et_min_voxels

    def predict(
        self, inputs: ModalityInputs, available: torch.Tensor, masks: torch.Tensor
    ) -> dict[str, tuple[list[int], torch.Tensor]]:
        """Sliding-window logits of the one case under each subset it has: subset -> ([0], (1, 3, *spatial))."""
        if not isinstance(inputs, torch.Tensor) or inputs.shape[0] != 1:
            size = inputs.shape[0] if isinstance(inputs, torch.Tensor) else "a mapping"
            raise ValueError(
                f"the segmentation subset evaluation takes one case per batch, got {size}; set batch_size 1."
            )
        image = inputs.as_tensor() if isinstance(inputs, MetaTensor) else inputs
        usable = {s: m for s, m in zip(self.subsets, masks[0]) if bool(m.any())}
        logits = self.inferer(image, self.network, usable)
        return {s: ([0], x) for s, x in logits.items()}

    def score(
        self, output: torch.Tensor, label: torch.Tensor | None, inputs: ModalityInputs, index: int, case: str
    ) -> dict[str, Any]:
        """``label_et_voxels`` and the region scores of one (3, *spatial) logit map."""
        if label is None:
            raise ValueError(f"case {case}: no label to score; evaluate labelled cases only (labelled=True).")
        target = label[index]
        target = target.as_tensor() if isinstance(target, MetaTensor) else target
        probs = output.float().sigmoid().cpu()
        target = target.cpu().bool()
        scores = brats_region_scores(probs > 0.5, target, _spacing(inputs, case), self.et_min_voxels)
        soft = {f"soft_dice_{r.lower()}": soft_dice_score(probs[c], target[c]) for c, r in enumerate(BRATS_REGIONS)}
        return {"label_et_voxels": int(target[2].sum()), **scores, **soft}


def _spacing(image: ModalityInputs, case: str) -> list[float]:
    """Voxel size in mm of a (1, M, *spatial) MetaTensor (after any resampling of the preprocessing).

    Raises:
        ValueError: ``image`` carries no metadata.
    """
    if not isinstance(image, MetaTensor):
        raise ValueError(
            f"case {case}: the image carries no voxel spacing (a plain tensor), so HD95 could not be in mm; keep the "
            "metadata in the evaluation preprocessing (no EnsureTyped(track_meta=False))."
        )
    pixdim = image.pixdim
    values = pixdim[0] if isinstance(pixdim, list) else pixdim  # a collated batch gives one per case
    return [float(v) for v in torch.as_tensor(values).flatten()[: image.ndim - 2]]
