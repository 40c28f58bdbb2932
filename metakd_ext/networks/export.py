"""The networks as fixed graphs: TorchScript (``monai.bundle ckpt_export``) and ``torch.export``.

Eager, the networks skip the encoders of modalities that no sample of the batch has and fold a batch's shared mask
into the fusion weights: control flow that depends on the mask's values. A TorchScript or ``torch.export`` graph
cannot hold that, so there every encoder runs on every sample and the fusion fills and mixes per sample
(:func:`static_graph`); the result is the same up to rounding, for any modality subset, at the cost of the skipped
encoders' time.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.export import Dim, ExportedProgram

__all__ = ["static_graph", "export_segmentation_network"]


def static_graph() -> bool:
    """Whether the code runs as a graph that may not depend on tensor values: under TorchScript or while
    ``torch.export`` traces it."""
    if torch.jit.is_scripting():
        return True
    return torch.compiler.is_exporting()


def export_segmentation_network(
    network: nn.Module, num_modalities: int, size_divisible: int, max_size: int = 512
) -> ExportedProgram:
    """Exports a network of (B, M, *spatial) inputs with ``torch.export``, batch and spatial sizes dynamic.

    Args:
        network: e.g. :class:`~metakd_ext.networks.MultiEncoderUNet`; put it in eval mode first.
        num_modalities: M, the input channels.
        size_divisible: every spatial size is a multiple of this (the network's down-sampling).
        max_size: the largest spatial size the program accepts.

    Returns:
        The program; ``program.module()(x)`` predicts, a missing modality being an all-zero channel.
    """
    dims = getattr(network, "spatial_dims", 3)
    steps = max_size // size_divisible
    example = torch.rand(2, num_modalities, *([2 * size_divisible] * dims))
    shapes = {0: Dim("batch", min=1, max=1024)}
    shapes.update({2 + d: size_divisible * Dim(f"s{d}", min=2, max=steps) for d in range(dims)})
    return torch.export.export(network, (example,), dynamic_shapes={"x": shapes})
