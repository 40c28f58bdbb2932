"""Evaluation of a multi-modal segmentation network under every modality subset."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from ignite.engine import Engine, Events
from monai.data import MetaTensor
from monai.engines import Evaluator
from monai.engines.utils import IterationEvents
from monai.utils import CommonKeys as Keys
from torch import nn

from metakd_ext.inferers.subset_inferer import SubsetSlidingWindowInferer
from metakd_ext.metrics.brats_regions import brats_region_scores
from metakd_ext.utils.modality_mask import resolve_modality_mask
from metakd_ext.utils.subsets import parse_subsets, subset_mask, subset_name

__all__ = ["SubsetEvaluator"]

logger = logging.getLogger("metakd")


class SubsetEvaluator(Evaluator):
    """Scores a BraTS region network on each case under each modality subset.

    Each iteration takes one case (batch size 1), predicts it under every requested subset that the case has
    (a subset with a modality the case lacks is skipped and logged), thresholds the sigmoid at 0.5 and scores
    TC, WT and ET with :func:`~metakd_ext.metrics.brats_region_scores`. The rows (one per case and subset) collect
    in ``engine.state.rows``; a handler such as :class:`~metakd_ext.handlers.SubsetReportWriter` writes them.

    Args:
        device: device of the network.
        val_data_loader: batches of one case with ``image`` (1, M, *spatial) as a MetaTensor (its voxel spacing
            makes HD95 in mm), ``label`` (1, 3, *spatial), ``modality_mask`` (1, M) and ``case``.
        network: a network with ``encode`` / ``decode`` (:class:`~metakd_ext.networks.MultiEncoderUNet`).
        inferer: the sliding-window inferer over subsets (fast or plain path).
        modality_names: the M modality names in channel order.
        subsets: subset names (``"flair+t1ce"``), or ``"all"`` for every non-empty subset.
        et_min_voxels: ET post-processing threshold (predicted ET under it counts as none).
        amp: autocast the inference.
        val_handlers: handlers with ``attach``.
        case_key: batch key of the case name.
        mask_key: batch key of the availability mask.

    Raises:
        ValueError: an unknown subset name; in a run, an image without metadata.
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
        amp: bool = False,
        val_handlers: Sequence | None = None,
        case_key: str = "case",
        mask_key: str = "modality_mask",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            device=device,
            val_data_loader=val_data_loader,
            amp=amp,
            val_handlers=val_handlers,
            decollate=False,
            **kwargs,
        )
        if et_min_voxels < 0:
            raise ValueError(f"`et_min_voxels` must be >= 0, got {et_min_voxels}.")
        self.network = network
        self.inferer = inferer
        self.modality_names = [str(n) for n in modality_names]
        self.subsets = parse_subsets(subsets, self.modality_names)
        self.subset_masks = {s: subset_mask(s, self.modality_names) for s in self.subsets}
        self.et_min_voxels = et_min_voxels
        self.case_key = case_key
        self.mask_key = mask_key
        self.add_event_handler(Events.STARTED, self._reset_rows)

    @staticmethod
    def _reset_rows(engine: Engine) -> None:
        engine.state.rows = []  # type: ignore[attr-defined]

    def _iteration(self, engine: SubsetEvaluator, batchdata: dict) -> dict:
        """Predicts and scores one case under every subset it has."""
        if batchdata is None:
            raise ValueError("Must provide batch data for current iteration.")
        image, label = engine.prepare_batch(batchdata, engine.state.device, engine.non_blocking, **engine.to_kwargs)
        if image.shape[0] != 1:
            raise ValueError(f"the subset evaluation takes one case per batch, got {image.shape[0]}; set batch_size 1.")
        case = batchdata.get(engine.case_key, ["?"])[0]
        spacing = _spacing(image, case)
        image, label = _plain(image), _plain(label)
        mask = batchdata.get(engine.mask_key)
        available = resolve_modality_mask(image, None if mask is None else torch.as_tensor(mask).to(image.device))
        masks = engine.subset_masks
        usable = {s: m for s, m in masks.items() if not bool((m.to(available.device) & ~available[0]).any())}
        skipped = sorted(set(masks) - set(usable))
        if skipped:
            logger.info(f"case {case}: lacks modalities for subsets {', '.join(skipped)}; they are not scored.")
        engine.network.eval()
        with torch.no_grad(), torch.autocast(torch.device(engine.state.device).type, enabled=bool(engine.amp)):
            logits = engine.inferer(image, engine.network, subsets=usable, modality_mask=available)
        engine.fire_event(IterationEvents.FORWARD_COMPLETED)
        names = subset_name(available[0].cpu(), engine.modality_names)
        et_voxels = int(label[0, 2].sum())
        scored: list[dict] = []
        for subset in engine.subsets:
            if subset not in logits:
                continue
            pred = logits[subset][0].float().sigmoid() > 0.5
            scores = brats_region_scores(pred.cpu(), label[0].cpu().bool(), spacing, engine.et_min_voxels)
            scored.append(
                {"case": str(case), "subset": subset, "available": names, "label_et_voxels": et_voxels, **scores}
            )
        engine.state.rows.extend(scored)
        if scored:
            mean_wt = sum(float(r["dice_wt"]) for r in scored) / len(scored)
            logger.info(f"case {case} ({names}): {len(scored)} subsets scored, mean WT Dice {mean_wt:.4f}")
        engine.state.output = {Keys.IMAGE: image, Keys.LABEL: label, Keys.PRED: logits}
        engine.fire_event(IterationEvents.MODEL_COMPLETED)
        return engine.state.output


def _spacing(image: torch.Tensor, case: str) -> list[float]:
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


def _plain(x: torch.Tensor) -> torch.Tensor:
    return x.as_tensor() if isinstance(x, MetaTensor) else x
