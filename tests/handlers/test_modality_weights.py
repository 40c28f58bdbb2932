from __future__ import annotations

import logging

import pytest
import torch
from ignite.engine import Engine

from metakd_ext.handlers import ModalityWeightsHandler
from metakd_ext.networks import ModalityWeightLearner


def test_logs_weights_text_and_tensorboard(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    learner = ModalityWeightLearner(2, init="zeros")
    with torch.no_grad():
        learner.logits.copy_(torch.tensor([0.0, 1.0]))
    handler = ModalityWeightsHandler(learner, ["a", "b"], interval=2, log_dir=str(tmp_path))
    engine = Engine(lambda e, b: None)
    handler.attach(engine)
    with caplog.at_level(logging.INFO, logger="metakd"):
        engine.run([0, 1, 2, 3], max_epochs=1)
    lines = [r.message for r in caplog.records if "modality weights" in r.message]
    assert len(lines) == 2  # iterations 2 and 4; the epoch end at 4 is not logged twice
    assert "a 0.2689, b 0.7311" in lines[0]
    assert engine.state.modality_weights == pytest.approx({"a": 0.2689414, "b": 0.7310586})
    assert any(p.name.startswith("events.out.tfevents") for p in tmp_path.iterdir())


def test_names_must_match() -> None:
    with pytest.raises(ValueError, match="has 3 names but the learner has 2"):
        ModalityWeightsHandler(ModalityWeightLearner(2), ["a", "b", "c"])
