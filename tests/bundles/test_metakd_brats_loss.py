from __future__ import annotations

import torch
from monai.bundle import ConfigParser
from monai.losses import DiceCELoss

from .conftest import CONFIGS


def _bundle_loss() -> torch.nn.Module:
    """The task loss exactly as the BraTS bundle's train.json builds it."""
    parser = ConfigParser()
    parser.read_config(str(CONFIGS / "train.json"))
    return parser.get_parsed_content("loss")


def _logits_and_regions(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 3, 6, 7, 8, generator=g)
    regions = (torch.rand(2, 3, 6, 7, 8, generator=g) > 0.7).float()  # multi-hot: channels overlap
    return logits, regions


def test_bce_part_is_bce_with_logits_per_channel_summed() -> None:
    loss = _bundle_loss()
    logits, regions = _logits_and_regions()
    bce = sum(torch.nn.BCEWithLogitsLoss()(logits[:, c], regions[:, c]) for c in range(3))
    torch.testing.assert_close(loss.lambda_focal * loss.focal(logits, regions), bce)
    torch.testing.assert_close(loss(logits, regions), loss.lambda_dice * loss.dice(logits, regions) + bce)


def test_background_voxels_get_a_gradient() -> None:
    logits, _ = _logits_and_regions()
    background = torch.zeros_like(logits)  # no region anywhere: only false positives to push down
    logits.requires_grad_(True)
    (grad,) = torch.autograd.grad(_bundle_loss()(logits, background), logits)
    assert bool((grad > 0).all())  # every logit is pushed towards background
    # what DiceCELoss(sigmoid=True) does on 3 channels: softmax cross-entropy, no gradient at background voxels
    logits_ce = logits.detach().requires_grad_(True)
    (grad_ce,) = torch.autograd.grad(DiceCELoss(sigmoid=True, lambda_dice=0.0)(logits_ce, background), logits_ce)
    assert float(grad_ce.abs().max()) == 0.0
