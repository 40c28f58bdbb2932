"""The teacher modalities of LCKD and the distillation pair weights they give."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from metakd_ext.utils.enums import StudentSet, TeacherVote, look_up

__all__ = ["ModalityTeachers"]


class ModalityTeachers(nn.Module):
    """Elected teacher modalities (Wang et al., LCKD, arXiv 2310.01035) as 0/1 distillation pair weights.

    LCKD distils from the modalities that score best on their own into the others, unweighted: :meth:`ratios` is
    the (M, M) matrix with 1 where a teacher ``i`` teaches a student ``j``, for
    :class:`~metakd_ext.losses.PairwiseModalityKDLoss`, in the place of MetaKD's ``p_i / p_j``. The teachers are a
    buffer, so they go into the checkpoint with the network. :meth:`elect` chooses them from per-task scores of each
    modality alone; :class:`~metakd_ext.handlers.TeacherElectionHandler` runs it during training.

    Args:
        num_modalities: M, at least 2.
        initial: index or indices of the teachers before the first election (the authors: FLAIR, 0).
        students: ``"all"``: a teacher teaches every other available modality, the other teachers too (the authors'
            code); ``"non_teachers"``: only the modalities that are not teachers.
        vote: ``"union"``: every modality that wins a task teaches (the authors); ``"majority"``: the modality that
            wins the most tasks (ties: the higher total score).

    Example::

        teachers = ModalityTeachers(4, initial=0)
        teachers.elect(torch.tensor([[0.2, 0.1, 0.9, 0.3], [0.8, 0.1, 0.2, 0.7]]))  # tasks x modalities -> [T, F, T, F]
        teachers.ratios()  # (4, 4): rows 0 and 2 are 1 off the diagonal
    """

    def __init__(
        self,
        num_modalities: int,
        initial: int | Sequence[int] = 0,
        students: StudentSet | str = StudentSet.ALL,
        vote: TeacherVote | str = TeacherVote.UNION,
    ) -> None:
        super().__init__()
        if num_modalities < 2:
            raise ValueError(f"`num_modalities` must be >= 2, got {num_modalities}.")
        chosen = [initial] if isinstance(initial, int) else list(initial)
        if not chosen or any(not 0 <= int(i) < num_modalities for i in chosen):
            raise ValueError(f"`initial` must name teachers among 0..{num_modalities - 1}, got {initial}.")
        self.num_modalities = num_modalities
        self.students = look_up(StudentSet, students, "students")
        self.vote = look_up(TeacherVote, vote, "vote")
        teachers = torch.zeros(num_modalities, dtype=torch.bool)
        teachers[[int(i) for i in chosen]] = True
        self.register_buffer("teachers", teachers)

    @property
    def mask(self) -> torch.Tensor:
        """(M,) bool: the current teachers."""
        teachers: torch.Tensor = self.teachers  # type: ignore[assignment]
        return teachers

    def ratios(self) -> torch.Tensor:
        """(M, M) float: entry [i, j] is 1 where teacher ``i`` distils into student ``j``, else 0."""
        teachers = self.mask
        pairs = teachers[:, None] & ~torch.eye(self.num_modalities, dtype=torch.bool, device=teachers.device)
        if self.students == StudentSet.NON_TEACHERS:
            pairs &= ~teachers[None, :]
        return pairs.float()

    def weights(self) -> torch.Tensor:
        """(M,) float: 1 for a teacher, 0 otherwise (what the reports show in the place of MetaKD's weights)."""
        return self.mask.float()

    def elect(self, scores: torch.Tensor) -> torch.Tensor:
        """Elects the teachers from (T, M) scores, one row per task (higher is better), and keeps them.

        Returns:
            The (M,) bool teachers.
        """
        if scores.ndim != 2 or scores.shape[1] != self.num_modalities or scores.shape[0] == 0:
            raise ValueError(f"`scores` must be (tasks, {self.num_modalities}), got {tuple(scores.shape)}.")
        winners = scores.argmax(dim=1)
        teachers = torch.zeros(self.num_modalities, dtype=torch.bool)
        if self.vote == TeacherVote.UNION:
            teachers[winners] = True
        else:
            wins = torch.bincount(winners, minlength=self.num_modalities)
            candidates = (wins == wins.max()).nonzero(as_tuple=True)[0]
            total = scores[:, candidates].double().nan_to_num(nan=float("-inf")).sum(dim=0)
            teachers[int(candidates[int(total.argmax())])] = True
        self.mask.copy_(teachers)
        return teachers

    def elect_by_name(self, scores: Mapping[str, Mapping[str, float]], modality_names: Sequence[str]) -> torch.Tensor:
        """:meth:`elect` from ``{task: {modality name: score}}`` (a modality without a score counts as the worst)."""
        names = [str(n) for n in modality_names]
        table = torch.tensor([[float(task.get(n, float("-inf"))) for n in names] for task in scores.values()])
        return self.elect(table)
