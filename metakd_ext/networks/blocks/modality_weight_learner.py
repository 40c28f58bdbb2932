"""Learnable modality-importance weights of MetaKD."""

from __future__ import annotations

import torch
from torch import nn

from metakd_ext.utils.enums import WeightInit, look_up

__all__ = ["ModalityWeightLearner"]


class ModalityWeightLearner(nn.Module):
    """Importance logits ``w`` (M,) with weights ``p = softmax(w)`` (Wang et al., arXiv 2405.07155, Sec. 3).

    The logits are trained only by the meta step; in the training loss they enter as the detached ratio
    ``p_i / p_j`` of :meth:`ratios`.

    Args:
        num_modalities: M, at least 2.
        init: ``"uniform"`` draws the logits uniformly from [0, 1) as the authors do (seed with
            ``monai.utils.set_determinism``); ``"zeros"`` starts from equal weights.

    Example::

        learner = ModalityWeightLearner(4)
        learner.weights()  # (4,), sums to 1
        learner.ratios()  # (4, 4), [i, j] = p_i / p_j, detached
    """

    def __init__(self, num_modalities: int, init: WeightInit | str = WeightInit.UNIFORM) -> None:
        super().__init__()
        if num_modalities < 2:
            raise ValueError(f"`num_modalities` must be >= 2, got {num_modalities}.")
        init = look_up(WeightInit, init, "init")
        values = torch.rand(num_modalities) if init == WeightInit.UNIFORM else torch.zeros(num_modalities)
        self.num_modalities = num_modalities
        self.logits = nn.Parameter(values)

    def forward(self) -> torch.Tensor:
        """Returns the (M,) importance weights ``softmax(w)``, differentiable with respect to ``w``."""
        return self.weights()

    def weights(self) -> torch.Tensor:
        """(M,) importance weights ``p = softmax(w)``, differentiable with respect to ``w``."""
        return torch.softmax(self.logits, dim=0)

    def ratios(self, detach: bool = True) -> torch.Tensor:
        """(M, M) matrix whose entry [i, j] is ``p_i / p_j``, the weight of teacher i distilling into student j.

        Args:
            detach: return the ratio without gradient (the faithful training loss); False keeps the graph to
                ``w``, as the unrolled meta step needs.
        """
        p = self.weights()
        ratio = p[:, None] / p[None, :]
        return ratio.detach() if detach else ratio
