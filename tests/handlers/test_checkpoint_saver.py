from __future__ import annotations

import pytest
import torch
from ignite.engine import Engine, Events

from metakd_ext.handlers import StateDictSaver
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
    ckpt = torch.load(tmp_path / "model.pt", weights_only=True)
    assert set(ckpt) == {"model", "weight_learner"}
    fresh = torch.nn.Linear(2, 2)
    fresh.load_state_dict(ckpt["model"])
    assert torch.equal(fresh.weight, net.weight)


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
