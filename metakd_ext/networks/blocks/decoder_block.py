"""A U-Net decoder step whose skip connection is optional."""
# No `from __future__ import annotations` here: TorchScript (`ckpt_export`) reads these annotations as types.

import torch
from monai.networks.blocks.dynunet_block import UnetBasicBlock, get_conv_layer
from torch import nn

__all__ = ["DecoderUpBlock"]


class DecoderUpBlock(nn.Module):
    """MONAI's ``UnetUpBlock`` with an optional skip connection: a transposed convolution up-samples, the skip's
    features are concatenated when the block reads one, and a ``UnetBasicBlock`` convolves.

    With ``skip=True`` it is ``UnetUpBlock`` (same layers, same parameter names, so state dicts of either load
    into the other). With ``skip=False`` the convolution reads the up-sampled features alone: the decoder of a
    network whose coarser features must carry the prediction (``MultiEncoderUNet``'s ``skip_scales``).

    Args:
        spatial_dims: number of spatial dimensions.
        in_channels: channels of the coarser features.
        out_channels: channels after the step, and of the skip's features.
        stride: the up-sampling factor (kernel and stride of the transposed convolution).
        norm_name: normalisation, as MONAI's ``get_norm_layer`` names it.
        act_name: activation, as MONAI's ``get_act_layer`` names it.
        skip: whether the block reads a skip connection.

    Example::

        up = DecoderUpBlock(3, 32, 16, stride=2, norm_name="instance", act_name="leakyrelu", skip=False)
        y = up(torch.rand(1, 32, 4, 4, 4))  # (1, 16, 8, 8, 8)
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        out_channels: int,
        stride: int,
        norm_name: tuple | str,
        act_name: tuple | str,
        skip: bool = True,
    ) -> None:
        super().__init__()
        self.skip = skip
        self.transp_conv = get_conv_layer(
            spatial_dims,
            in_channels,
            out_channels,
            kernel_size=stride,
            stride=stride,
            bias=False,
            act=None,
            norm=None,
            conv_only=False,
            is_transposed=True,
        )
        self.conv_block = UnetBasicBlock(
            spatial_dims,
            2 * out_channels if skip else out_channels,
            out_channels,
            kernel_size=3,
            stride=1,
            norm_name=norm_name,
            act_name=act_name,
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        """
        Args:
            x: (N, in_channels, *spatial) coarser features.
            skip: (N, out_channels, *(spatial * stride)) the skip's features; required when the block reads one,
                ignored (None) otherwise.

        Returns:
            (N, out_channels, *(spatial * stride)).
        """
        out = self.transp_conv(x)
        if self.skip:
            if skip is None:
                raise ValueError("this decoder step reads a skip connection; pass its features.")
            out = torch.cat((out, skip), dim=1)
        return self.conv_block(out)
