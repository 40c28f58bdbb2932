from __future__ import annotations

import math
from pathlib import Path

import pytest
from torch.utils.tensorboard import SummaryWriter

from metakd_ext.visualize.training_logs import LOSS_COLUMNS, first_logged, read_scalars, training_loss_summary


def _log(log_dir: Path, values: dict[str, list[float]], start: int = 1) -> None:
    writer = SummaryWriter(log_dir=str(log_dir))
    for tag, series in values.items():
        for step, value in enumerate(series, start=start):
            writer.add_scalar(tag, value, step)
    writer.close()


def test_first_and_last_tenth_of_each_loss(tmp_path: Path) -> None:
    _log(tmp_path, {"train/task_loss": [2.0] * 2 + [1.0] * 16 + [0.5] * 2, "train/kd_loss": [10.0] * 2 + [0.0] * 18})
    _log(tmp_path, {"val_mean_dice": [0.1, 0.2]})
    summary = training_loss_summary(tmp_path)
    assert list(summary) == LOSS_COLUMNS
    assert summary == pytest.approx(
        {"task_loss_first": 2.0, "task_loss_last": 0.5, "kd_loss_first": 10.0, "kd_loss_last": 0.0}
    )
    assert training_loss_summary(tmp_path, fraction=0.5)["task_loss_first"] == pytest.approx(1.2)


def test_a_resumed_run_keeps_the_last_value_of_a_step(tmp_path: Path) -> None:
    _log(tmp_path, {"train/task_loss": [3.0, 3.0, 3.0]})
    _log(tmp_path, {"train/task_loss": [1.0, 1.0]}, start=3)
    scalars = read_scalars(tmp_path, ["train/task_loss", "train/kd_loss"])
    assert list(scalars) == ["train/task_loss"]
    assert scalars["train/task_loss"].tolist() == [[1.0, 3.0], [2.0, 3.0], [3.0, 1.0], [4.0, 1.0]]
    summary = training_loss_summary(tmp_path)
    assert summary["task_loss_first"] == 3.0 and summary["task_loss_last"] == 1.0
    assert math.isnan(summary["kd_loss_first"]) and math.isnan(summary["kd_loss_last"])


def test_the_file_started_last_wins_past_ten_writers(tmp_path: Path) -> None:
    for step in range(12):  # one process's writer counter passes 9: "...10" sorts before "...9" as text
        _log(tmp_path, {"train/task_loss": [float(step)]})
    assert read_scalars(tmp_path, ["train/task_loss"])["train/task_loss"].tolist() == [[1.0, 11.0]]


def test_a_run_that_logged_no_losses(tmp_path: Path) -> None:
    assert training_loss_summary(tmp_path / "absent") is None
    _log(tmp_path, {"train_loss": [1.0]})
    assert training_loss_summary(tmp_path) is None
    with pytest.raises(ValueError, match="fraction"):
        training_loss_summary(tmp_path, fraction=0.0)


def test_first_logged_weights(tmp_path: Path) -> None:
    _log(tmp_path, {"modality_weight/mri": [0.3, 0.4, 0.5], "modality_weight/pet": [0.7, 0.6, 0.5]}, start=2)
    _log(tmp_path, {"train/kd_loss": [1.0]})
    assert first_logged(tmp_path, "modality_weight", ["mri", "pet"]) == (2, pytest.approx({"mri": 0.3, "pet": 0.7}))
    assert first_logged(tmp_path, "modality_weight", ["mri", "csf"]) is None
    assert first_logged(tmp_path, "teacher", ["mri", "pet"]) is None
