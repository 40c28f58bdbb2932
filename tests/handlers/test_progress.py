from __future__ import annotations

import torch
from ignite.engine import Engine

from metakd_ext.handlers import ProgressLogger, training_scalars


def test_training_lines_have_values_time_per_iteration_and_time_left(caplog) -> None:
    optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.01)
    trainer = Engine(lambda e, b: {"loss": torch.tensor(0.75), "task_loss": 0.5, "kd_loss": 0.25, "pred": b})
    ProgressLogger(output_transform=training_scalars(optimizer), interval=2).attach(trainer)
    with caplog.at_level("INFO", logger="metakd"):
        trainer.run([0, 1, 2], max_epochs=2)
    lines = [r.message for r in caplog.records if r.name == "metakd"]
    assert len(lines) == 4  # iterations 2 and 3 (the last of the epoch) of each epoch
    assert lines[0].startswith("Epoch: 1/2, Iter: 2/3 -- loss: 0.75 task_loss: 0.5 kd_loss: 0.25 lr: 0.01 -- ")
    assert " s/it, epoch 0:00:00 left, run 0:00:00 left" in lines[0]
    assert lines[-1].startswith("Epoch: 2/2, Iter: 3/3 -- ")


def test_evaluator_lines_name_the_case(caplog) -> None:
    evaluator = Engine(lambda e, b: None)
    ProgressLogger("inference", case_key="case").attach(evaluator)
    with caplog.at_level("INFO", logger="metakd"):
        evaluator.run([{"case": ["Brats18_A"]}, [{"case": "Brats18_B"}]])  # collated, and decollated as MONAI does
    lines = [r.message for r in caplog.records if r.name == "metakd"]
    assert lines[0].startswith("inference: case 1/2 (Brats18_A) ") and lines[0].endswith(" left")
    assert lines[1].startswith("inference: case 2/2 (Brats18_B) ") and " s/case, 0:00:00 left" in lines[1]


def test_training_scalars_for_tensorboard() -> None:
    scalars = training_scalars(prefix="train/")({"loss": torch.tensor(1.0), "kd_loss": 0.0, "pred": None})
    assert scalars == {"train/loss": 1.0, "train/kd_loss": 0.0}
