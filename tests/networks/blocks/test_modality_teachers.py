from __future__ import annotations

import pytest
import torch

from metakd_ext.networks import ModalityTeachers


def test_ratios_are_the_teacher_student_pairs() -> None:
    teachers = ModalityTeachers(4, initial=[0, 2])
    expected = torch.zeros(4, 4)
    expected[0, [1, 2, 3]] = 1
    expected[2, [0, 1, 3]] = 1
    assert torch.equal(teachers.ratios(), expected)
    only_students = ModalityTeachers(4, initial=[0, 2], students="non_teachers").ratios()
    assert only_students[0].tolist() == [0, 1, 0, 1] and only_students[2].tolist() == [0, 1, 0, 1]
    assert teachers.weights().tolist() == [1, 0, 1, 0]


def test_election_follows_the_scores() -> None:
    teachers = ModalityTeachers(4, initial=0)
    scores = torch.tensor([[0.1, 0.2, 0.9, 0.3], [0.8, 0.1, 0.2, 0.7], [0.1, 0.1, 0.7, 0.2]])  # ET, TC, WT
    assert teachers.elect(scores).tolist() == [True, False, True, False]
    assert teachers.teachers.tolist() == [True, False, True, False]
    scores[:, 3] = 2.0  # T2 now wins every task
    assert teachers.elect(scores).tolist() == [False, False, False, True]
    majority = ModalityTeachers(4, vote="majority")
    assert majority.elect(
        torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.5, 0.0, 0.0]])
    ).tolist() == [
        False,
        True,
        False,
        False,
    ]
    tie = torch.tensor([[0.0, 0.9, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])  # one win each: the higher total wins
    assert majority.elect(tie).tolist() == [False, False, True, False]
    by_name = teachers.elect_by_name({"task": {"b": 0.7, "c": 0.9}}, ["a", "b", "c", "d"])
    assert by_name.tolist() == [False, False, True, False]


def test_teachers_are_in_the_state_dict_and_bad_arguments() -> None:
    teachers = ModalityTeachers(3, initial=1)
    other = ModalityTeachers(3, initial=0)
    other.load_state_dict(teachers.state_dict())
    assert other.teachers.tolist() == [False, True, False]
    with pytest.raises(ValueError, match="`initial` must name teachers among 0..2"):
        ModalityTeachers(3, initial=3)
    with pytest.raises(ValueError, match="`vote` must be one of"):
        ModalityTeachers(3, vote="all")
    with pytest.raises(ValueError, match=r"`scores` must be \(tasks, 3\)"):
        teachers.elect(torch.rand(2, 4))
