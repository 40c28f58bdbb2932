from __future__ import annotations

import pytest
import torch
from ignite.engine import Engine, Events

from metakd_ext.handlers import FinalModelSaver, StateDictSaver
from metakd_ext.networks import ModalityWeightLearner


class _Boom(torch.nn.Module):
    def state_dict(self, *args, **kwargs):  # type: ignore[override]
        return {"x": torch.zeros(1), "bad": lambda: None}  # not picklable: torch.save fails half-way


def test_saves_on_best_and_reloads_weights_only(tmp_path) -> None:
    net = torch.nn.Linear(2, 2)
    learner = ModalityWeightLearner(2)
    saver = StateDictSaver(tmp_path, {"model": net, "weight_learner": learner}, "model.pt", when="best")
    engine = Engine(lambda e, b: None)
    engine.state.key_metric_name = "dice"
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda e: e.state.metrics.update(dice=0.5))
    saver.attach(engine)
    engine.run([0], max_epochs=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt", "model_weight_learner.pt"]
    fresh = torch.nn.Linear(2, 2)
    fresh.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))  # the model zoo's layout
    assert torch.equal(fresh.weight, net.weight)
    fresh_learner = ModalityWeightLearner(2)
    fresh_learner.load_state_dict(torch.load(tmp_path / "model_weight_learner.pt", weights_only=True))
    assert torch.equal(fresh_learner.weights(), learner.weights())


def test_best_only_from_min_epoch_and_only_when_better(tmp_path) -> None:
    net = torch.nn.Linear(1, 1)
    saver = StateDictSaver(tmp_path, {"model": net}, "model.pt", when="best", min_epoch=2)
    engine = Engine(lambda e, b: None)
    engine.state.key_metric_name = "dice"
    values = {1: 0.9, 2: 0.5, 3: 0.4, 4: 0.6}
    saved = []
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda e: e.state.metrics.update(dice=values[e.state.epoch]))
    saver.attach(engine)
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda e: saved.append(saver.best_metric))
    engine.run([0], max_epochs=4)
    assert saved == [float("-inf"), 0.5, 0.5, 0.6]


def test_failed_write_keeps_good_checkpoint(tmp_path) -> None:
    good = StateDictSaver(tmp_path, {"model": torch.nn.Linear(2, 2)}, "model.pt", when="epoch")
    good.save()
    before = (tmp_path / "model.pt").read_bytes()
    bad = StateDictSaver(tmp_path, {"model": _Boom()}, "model.pt", when="epoch")
    with pytest.raises((AttributeError, TypeError, RuntimeError)):
        bad.save()
    assert (tmp_path / "model.pt").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_bad_arguments(tmp_path) -> None:
    with pytest.raises(ValueError, match="`when` must be one of"):
        StateDictSaver(tmp_path, {"m": torch.nn.Linear(1, 1)}, when="sometimes")
    with pytest.raises(ValueError, match="has no state_dict"):
        StateDictSaver(tmp_path, {"m": 3})


def _run_with_validation(tmp_path, dice_by_epoch: dict[int, float], epochs: int, min_epoch: int):
    """A trainer whose weight is its epoch number, validated on the epochs of ``dice_by_epoch``."""
    net = torch.nn.Linear(1, 1, bias=False)
    best = StateDictSaver(tmp_path, {"model": net}, "model.pt", when="best", min_epoch=min_epoch)
    validator = Engine(lambda e, b: None)
    validator.state.key_metric_name = "dice"
    best.attach(validator)
    trainer = Engine(lambda e, b: None)

    def validate(engine: Engine) -> None:
        with torch.no_grad():
            net.weight.fill_(engine.state.epoch)
        if engine.state.epoch in dice_by_epoch:
            validator.state.epoch = engine.state.epoch
            validator.state.metrics = {"dice": dice_by_epoch[engine.state.epoch]}
            validator.fire_event(Events.EPOCH_COMPLETED)

    trainer.add_event_handler(Events.EPOCH_COMPLETED, validate)
    FinalModelSaver(best, log_dir=str(tmp_path / "runs")).attach(trainer)
    trainer.run([0], max_epochs=epochs)

    def weight(name: str) -> float:
        return float(torch.load(tmp_path / name, weights_only=True)["weight"])

    return weight


def test_final_weights_and_best_checkpoint(tmp_path, caplog) -> None:
    with caplog.at_level("INFO", logger="metakd"):
        weight = _run_with_validation(tmp_path, {2: 0.4, 3: 0.7, 4: 0.5}, epochs=4, min_epoch=3)
    assert weight("model.pt") == 3.0 and weight("model_final.pt") == 4.0
    assert "model.pt is the best checkpoint (epoch 3, key metric 0.7000)" in caplog.text


@pytest.mark.parametrize(
    "dice_by_epoch, reason",
    [
        ({}, "no validation ran (check `val_interval`"),
        ({1: 0.9, 2: 0.8}, "no validation ran from epoch 3 on, the first epoch of missing-modality training"),
        ({3: float("nan")}, "the key metric was never a number (NaN)"),
    ],
)
def test_no_qualifying_epoch_leaves_the_final_weights_as_model(tmp_path, caplog, dice_by_epoch, reason) -> None:
    torch.save({"weight": torch.full((1, 1), -1.0)}, tmp_path / "model.pt")  # from an earlier run
    with caplog.at_level("INFO", logger="metakd"):
        weight = _run_with_validation(tmp_path, dice_by_epoch, epochs=3, min_epoch=3)
    assert weight("model.pt") == weight("model_final.pt") == 3.0
    assert "model.pt holds the final weights (epoch 3): " + reason in caplog.text


def test_non_finite_weights_are_never_saved(tmp_path) -> None:
    net = torch.nn.Linear(2, 2)
    saver = StateDictSaver(tmp_path, {"model": net}, "model.pt", when="epoch")
    saver.save()
    before = (tmp_path / "model.pt").read_bytes()
    with torch.no_grad():
        net.bias[1] = float("nan")
    with pytest.raises(FloatingPointError, match=r"not saving .*model.pt: model.bias hold NaN or infinite values"):
        saver.save()
    assert (tmp_path / "model.pt").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
