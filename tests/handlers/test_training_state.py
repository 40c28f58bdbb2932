from __future__ import annotations

import pytest
import torch
from ignite.engine import Engine, Events
from monai.transforms import Compose, RandFlip
from monai.utils import set_determinism

from metakd_ext.handlers import StateDictSaver, TrainingStateSaver, random_sources
from metakd_ext.transforms import RandDropModality


def _setup(tmp_path, epochs: int, resume: bool = False, stop_after: int | None = None):
    """A seeded run whose every step draws from torch, from a transform's and from a dropout's random state."""
    set_determinism(seed=0)
    net = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.9)
    flip = Compose([RandFlip(prob=0.5, spatial_axis=0)]).set_random_state(seed=1)
    drop = RandDropModality().set_random_state(seed=2)

    def step(engine: Engine, batch: int) -> dict:
        x = flip(torch.arange(4.0).reshape(1, 4, 1))[0, :, 0] + torch.rand(4)
        keep = drop(torch.ones(4, dtype=torch.bool)).float()
        loss = (net(x * keep) - 1.0).pow(2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"loss": loss.detach()}

    engine = Engine(step)
    engine.add_event_handler(Events.EPOCH_COMPLETED, lambda e: scheduler.step())
    best = StateDictSaver(tmp_path, {"model": net}, "model.pt", when="best")
    saver = TrainingStateSaver(
        tmp_path,
        {"model": net, "optimizer": optimizer, "lr_scheduler": scheduler, "meta_optimizer": None},
        best=best,
        random_objects=[flip, drop],
        resume=resume,
    )
    saver.attach(engine)
    if stop_after is not None:
        engine.add_event_handler(Events.EPOCH_COMPLETED(once=stop_after), lambda e: e.terminate())
    engine.run(list(range(3)), max_epochs=epochs)
    return engine, net, optimizer


def test_random_sources_finds_nested_states() -> None:
    flip = Compose([RandFlip(prob=0.5), RandFlip(prob=0.5)])
    drop = RandDropModality()
    sources = random_sources([flip, [drop, flip]])
    assert len(sources) == 4 and all(isinstance(s, type(drop.R)) for s in sources)  # Compose, 2 flips, dropout


def test_resumed_run_ends_as_the_uninterrupted_one(tmp_path) -> None:
    _, whole, whole_opt = _setup(tmp_path / "a", epochs=5)
    _, _, _ = _setup(tmp_path / "b", epochs=5, stop_after=2)
    state = torch.load(tmp_path / "b" / "train_state.pt", weights_only=True)
    assert state["epoch"] == 2 and state["iteration"] == 6
    engine, resumed, resumed_opt = _setup(tmp_path / "b", epochs=5, resume=True)
    assert engine.state.epoch == 5 and engine.state.iteration == 15
    assert torch.equal(whole.weight, resumed.weight) and torch.equal(whole.bias, resumed.bias)
    assert whole_opt.param_groups[0]["lr"] == pytest.approx(resumed_opt.param_groups[0]["lr"])


def test_new_run_moves_an_earlier_run_aside(tmp_path, caplog) -> None:
    _setup(tmp_path, epochs=1)
    (tmp_path / "model.pt").write_bytes(b"earlier model")
    _setup(tmp_path, epochs=1)
    moved = list((tmp_path / "previous").glob("*/model.pt"))
    assert len(moved) == 1 and moved[0].read_bytes() == b"earlier model"
    assert (moved[0].parent / "train_state.pt").is_file()
    assert "moved to" in caplog.text and "--resume True" in caplog.text


def test_a_new_run_stopped_before_its_first_save_leaves_the_earlier_model(tmp_path) -> None:
    (tmp_path / "model.pt").write_bytes(b"earlier model")
    net = torch.nn.Linear(4, 1)
    best = StateDictSaver(tmp_path, {"model": net}, "model.pt", when="best")
    saver = TrainingStateSaver(tmp_path, {"model": net}, best=best, interval=5)
    engine = Engine(lambda e, b: None)
    saver.attach(engine)
    engine.add_event_handler(Events.ITERATION_COMPLETED(once=2), lambda e: e.terminate())  # killed in its warm-up
    engine.run(list(range(3)), max_epochs=10)
    assert (tmp_path / "model.pt").read_bytes() == b"earlier model" and not (tmp_path / "previous").exists()
    best.save()  # its first save (here the best model's) moves the earlier run aside first
    assert (tmp_path / "previous").is_dir() and next((tmp_path / "previous").glob("*/model.pt")).read_bytes() == (
        b"earlier model"
    )
    assert torch.load(tmp_path / "model.pt", weights_only=True).keys() == net.state_dict().keys()


def test_resume_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothing to resume: .*train_state.pt not found"):
        _setup(tmp_path, epochs=2, resume=True)
    _setup(tmp_path, epochs=2)
    with pytest.raises(ValueError, match="is at epoch 2 and the run has 2 epochs; raise --epochs"):
        _setup(tmp_path, epochs=2, resume=True)
    with pytest.raises(ValueError, match="`interval` must be >= 1"):
        TrainingStateSaver(tmp_path, {}, interval=0)
