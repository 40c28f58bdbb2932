from __future__ import annotations

import pytest
import torch
from ignite.engine import Engine

from metakd_ext.handlers import FinalModelSaver, StateDictSaver, StopOnNonFiniteLoss


def _run(losses: list[float], tmp_path) -> tuple[Engine, FinalModelSaver]:
    def step(engine: Engine, batch: int) -> dict:
        return {"loss": torch.tensor(losses[engine.state.iteration - 1]), "task_loss": torch.tensor(0.0)}

    engine = Engine(step)
    net = torch.nn.Linear(1, 1)
    final = FinalModelSaver(StateDictSaver(tmp_path, {"model": net}, "model.pt", when="best"))
    StopOnNonFiniteLoss().attach(engine)
    final.attach(engine)
    engine.run(list(range(len(losses))), max_epochs=1)
    return engine, final


def test_finite_losses_run_to_the_end(tmp_path) -> None:
    engine, _ = _run([1.0, 0.5, 0.25], tmp_path)
    assert engine.state.iteration == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt", "model_final.pt"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_loss_stops_with_error_and_saves_nothing(tmp_path, caplog, bad) -> None:
    with pytest.raises(FloatingPointError, match=rf"training stopped at epoch 1, iteration 2: loss {bad}\. Nothing"):
        _run([1.0, bad, 0.5], tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert "--amp False" in caplog.text


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="`keys` must name"):
        StopOnNonFiniteLoss(keys=())
