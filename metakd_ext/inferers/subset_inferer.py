"""Sliding-window inference for many modality subsets at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from monai.inferers import Inferer, sliding_window_inference
from monai.utils import BlendMode

from metakd_ext.utils.availability import apply_modality_mask

__all__ = ["SubsetSlidingWindowInferer"]


class SubsetSlidingWindowInferer(Inferer):
    """Predicts one image under several modality subsets with sliding windows.

    The fast path (``fast=True``) encodes each available modality once per window and runs only the fusion and
    the decoder per subset, so evaluating the 15 BraTS subsets costs far less than 15 evaluations. The plain path
    runs a whole sliding-window inference per subset. Both give the same logits (the encoders of one modality see
    the same windows either way). The fast path stitches the subsets' logits stacked along the channels, one
    blending per window rather than one per subset (on a CPU, stitching a dict of 15 outputs cost about as much as
    decoding them).

    The network must provide ``encode(x, modality_mask)`` and ``decode(features, modality_mask)`` like
    :class:`~metakd_ext.networks.MultiEncoderUNet`.

    Args:
        roi_size: window size.
        sw_batch_size: windows per forward pass.
        overlap: window overlap.
        mode: blending, ``"gaussian"`` or ``"constant"``.
        fast: encode once per window (True) or run one inference per subset (False).
        sw_device: device of the windows; default the input's.
        device: device where the stitched outputs are kept; default the input's (use ``"cpu"`` to save GPU memory).
    """

    def __init__(
        self,
        roi_size: Sequence[int] | int,
        sw_batch_size: int = 1,
        overlap: float = 0.5,
        mode: BlendMode | str = BlendMode.GAUSSIAN,
        fast: bool = True,
        sw_device: torch.device | str | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        self.roi_size = roi_size
        self.sw_batch_size = sw_batch_size
        self.overlap = overlap
        self.mode = mode
        self.fast = fast
        self.sw_device = sw_device
        self.device = device

    def __call__(
        self, inputs: torch.Tensor, network: Any, subsets: Mapping[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """
        Args:
            inputs: (1, M, *spatial) image.
            network: a network with ``encode`` and ``decode``.
            subsets: subset name -> (M,) bool mask, each within the image's available modalities (the evaluator
                passes the subsets a case has, :func:`~metakd_ext.utils.subset_masks`); the modalities that some
                subset needs are encoded.

        Returns:
            Subset name -> (1, out_channels, *spatial) logits.

        Raises:
            ValueError: more than one image.
        """
        if inputs.shape[0] != 1:
            raise ValueError(f"one image at a time, got a batch of {inputs.shape[0]}.")
        masks = {name: torch.as_tensor(m, device=inputs.device).bool() for name, m in subsets.items()}
        if not masks:
            return {}
        if not self.fast:
            return {
                name: self._sliding(apply_modality_mask(inputs, m[None]), network, modality_mask=m[None])
                for name, m in masks.items()
            }
        needed = torch.stack(list(masks.values())).any(dim=0)

        def predictor(window: torch.Tensor) -> torch.Tensor:
            window_mask = needed.to(window.device)[None].expand(window.shape[0], -1)
            features, _ = network.encode(window, window_mask)
            decoded = [
                network.decode(features, m.to(window.device)[None].expand_as(window_mask)) for m in masks.values()
            ]
            return torch.cat(decoded, dim=1)

        stitched = self._sliding(inputs, predictor)
        return dict(zip(masks, stitched.chunk(len(masks), dim=1)))

    def _sliding(self, inputs: torch.Tensor, predictor: Callable, **kwargs: Any) -> Any:
        return sliding_window_inference(
            inputs,
            roi_size=self.roi_size,
            sw_batch_size=self.sw_batch_size,
            predictor=predictor,
            overlap=self.overlap,
            mode=self.mode,
            sw_device=self.sw_device,
            device=self.device,
            **kwargs,
        )
