"""Evaluation of a multi-modal segmentation network under every modality subset."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from monai.data import MetaTensor, decollate_batch
from monai.transforms import Compose, Invertd
from monai.utils import CommonKeys as Keys
from monai.utils import convert_to_tensor
from torch import nn

from metakd_ext.engines.subset_evaluator import SubsetEvaluator
from metakd_ext.inferers.subset_inferer import SubsetSlidingWindowInferer
from metakd_ext.metrics.brats_regions import BRATS_REGIONS, brats_region_scores, soft_dice_score
from metakd_ext.transforms.array import ZeroOutsideForeground
from metakd_ext.utils.availability import ModalityInputs
from metakd_ext.utils.enums import BatchKey

__all__ = ["SegmentationSubsetEvaluator"]


class SegmentationSubsetEvaluator(SubsetEvaluator):
    """Scores a BraTS region network on each case under each modality subset it has.

    One case per batch: its subsets are predicted together by the sliding-window ``inferer`` (each modality
    encoded once per window on the fast path), the sigmoid thresholded at 0.5, and TC, WT and ET scored with
    :func:`~metakd_ext.metrics.brats_region_scores` (Dice, HD95 in mm from the image's voxel spacing, the ET
    post-processing); nothing is predicted where no modality of the case has signal (outside the head, as
    ``inference.json`` writes it). Score columns: ``label_et_voxels``, :data:`~metakd_ext.metrics.SCORE_COLUMNS`
    and, for the LCKD teacher election (not written to the files), ``soft_dice_<region>`` of the sigmoid.

    With ``invert`` (the image's spatial preprocessing), each subset's probabilities go back through it, as MONAI's
    ``Invertd`` does (cropping padded back with background, resampling undone by linear interpolation, the
    orientation restored), and are thresholded and scored on the case's original grid: the label must then be one
    that no spatial transform touched (e.g. a copy taken before them, ``prepare_batch``'s ``label_key``), and HD95
    takes its voxel size. Without it the scores are on the network's grid.

    Args:
        device: device of the network.
        val_data_loader: batches of one case with ``image`` (1, M, *spatial) as a MetaTensor (its voxel spacing
            makes HD95 in mm), ``label`` (1, 3, *spatial), ``modality_mask`` (1, M) and ``case``.
        network: a network with ``encode`` / ``decode`` (:class:`~metakd_ext.networks.MultiEncoderUNet`).
        inferer: the sliding-window inferer over subsets (fast or plain path).
        modality_names: the M modality names in channel order.
        subsets: subset names, ``"all"`` or ``"available"`` (see :class:`SubsetEvaluator`).
        et_min_voxels: ET post-processing threshold (predicted ET under it counts as none).
        invert: the transforms that took the image from its file to the network's grid, to score on the original
            grid; None scores on the network's grid.
        image_key: the image's key in ``invert``'s transforms.
        kwargs: further arguments of :class:`SubsetEvaluator` (``amp``, ``val_handlers``, ``prepare_batch``...).

    Raises:
        ValueError: an unknown subset name or a negative ``et_min_voxels``; in a run, more than one case per batch
            or an image without metadata, or a prediction and a label on different grids.
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
        invert: Compose | None = None,
        image_key: str = BatchKey.IMAGE,
        **kwargs: Any,
    ) -> None:
        if et_min_voxels < 0:
            raise ValueError(f"`et_min_voxels` must be >= 0, got {et_min_voxels}.")
        super().__init__(device, val_data_loader, network, modality_names, subsets, **kwargs)
        self.inferer = inferer
        self.et_min_voxels = et_min_voxels
        self.zero_outside_head = ZeroOutsideForeground()
        self.invert = (
            None
            if invert is None
            else Invertd(Keys.PRED, transform=invert, orig_keys=str(image_key), nearest_interp=False)
        )
        self.image_key = str(image_key)

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
        """``label_et_voxels`` and the region scores of one (3, *spatial) logit map (on the original grid with
        ``invert``)."""
        if label is None:
            raise ValueError(f"case {case}: no label to score; evaluate labelled cases only (labelled=True).")
        target = label[index]
        image = inputs[index] if isinstance(inputs, torch.Tensor) else None
        probs = output.float().sigmoid()
        if image is not None:
            probs = convert_to_tensor(self.zero_outside_head(probs, image))
        if self.invert is not None:
            probs = self._to_original_grid(probs, inputs, index, case)
        probs = probs.as_tensor().cpu() if isinstance(probs, MetaTensor) else probs.cpu()
        if probs.shape != target.shape:
            raise ValueError(
                f"case {case}: the prediction {tuple(probs.shape)} and the label {tuple(target.shape)} are on "
                "different grids. Scoring on the original grid (`invert`) takes a label no spatial transform "
                "touched; without `invert` the label must go through the image's spatial transforms."
            )
        spacing = _spacing(label if isinstance(label, MetaTensor) else inputs, case)
        target = (target.as_tensor() if isinstance(target, MetaTensor) else target).cpu().bool()
        scores = brats_region_scores(probs > 0.5, target, spacing, self.et_min_voxels)
        soft = {f"soft_dice_{r.lower()}": soft_dice_score(probs[c], target[c]) for c, r in enumerate(BRATS_REGIONS)}
        return {"label_et_voxels": int(target[2].sum()), **scores, **soft}

    def _to_original_grid(self, probs: torch.Tensor, inputs: ModalityInputs, index: int, case: str) -> torch.Tensor:
        """(3, *spatial) probabilities on the network's grid -> (3, *original spatial) on the case's file grid."""
        if not isinstance(inputs, MetaTensor):
            raise ValueError(
                f"case {case}: the image carries no transform record (a plain tensor), so its prediction cannot go "
                "back to the original grid; keep the metadata in the evaluation preprocessing."
            )
        image = decollate_batch({self.image_key: inputs}, detach=True)[index][self.image_key]
        inverted = self.invert({Keys.PRED: MetaTensor(probs.cpu()), self.image_key: image})  # type: ignore[misc]
        return inverted[Keys.PRED]


def _spacing(image: ModalityInputs, case: str) -> list[float]:
    """Voxel size in mm of a (1, C, *spatial) MetaTensor, the image or the label.

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
