from __future__ import annotations

import pytest
import torch

from metakd_ext.networks import ModalityWeightLearner, MultiEncoderUNet
from metakd_ext.utils import companion_path, load_bundle_checkpoint, load_checkpoint


def test_load_and_clear_errors(tmp_path) -> None:
    net = MultiEncoderUNet(channels=(4, 8))
    learner = ModalityWeightLearner(4)
    torch.nn.init.normal_(learner.logits)
    torch.save(net.state_dict(), tmp_path / "m.pt")
    torch.save(learner.state_dict(), companion_path(tmp_path / "m.pt", "weight_learner"))
    assert companion_path(tmp_path / "m.pt", "weight_learner") == tmp_path / "m_weight_learner.pt"
    fresh, fresh_learner = MultiEncoderUNet(channels=(4, 8)), ModalityWeightLearner(4)
    load_checkpoint(tmp_path / "m.pt", model=fresh, weight_learner=fresh_learner)
    assert all(torch.equal(a, b) for a, b in zip(fresh.parameters(), net.parameters()))
    assert torch.equal(fresh_learner.logits, learner.logits)
    with pytest.raises(ValueError, match="does not fit the model: .*size mismatch.*other network settings"):
        load_checkpoint(tmp_path / "m.pt", model=MultiEncoderUNet(channels=(8, 16)))
    with pytest.raises(FileNotFoundError, match=r"m_optimizer.pt not found: training writes the optimizer beside m.pt"):
        load_checkpoint(tmp_path / "m.pt", model=fresh, optimizer=torch.nn.Linear(1, 1))
    with pytest.raises(FileNotFoundError, match="not found"):
        load_checkpoint(tmp_path / "none.pt", model=fresh)
    torch.save(net, tmp_path / "pickled.pt")
    with pytest.raises(ValueError, match="cannot be read as a state-dict checkpoint"):
        load_checkpoint(tmp_path / "pickled.pt", model=fresh)


def test_nested_checkpoint_of_monai_checkpoint_saver(tmp_path) -> None:
    net, learner = torch.nn.Linear(2, 2), ModalityWeightLearner(2)
    torch.save({"model": net.state_dict(), "weight_learner": learner.state_dict()}, tmp_path / "m.pt")
    fresh = torch.nn.Linear(2, 2)
    loaded = load_checkpoint(tmp_path / "m.pt", model=fresh, weight_learner=ModalityWeightLearner(2))
    assert set(loaded) == {"model", "weight_learner"} and torch.equal(fresh.weight, net.weight)


def test_bundle_loading_ends_with_one_line(tmp_path) -> None:
    with pytest.raises(SystemExit, match=r"^error: checkpoint .*none.pt not found; train first") as info:
        load_bundle_checkpoint(tmp_path / "none.pt", model=torch.nn.Linear(1, 1))
    assert info.value.__cause__ is None and info.value.__suppress_context__
    torch.save(torch.nn.Linear(1, 1).state_dict(), tmp_path / "m.pt")
    with pytest.raises(SystemExit, match="does not fit the model"):
        load_bundle_checkpoint(tmp_path / "m.pt", model=torch.nn.Linear(2, 2))
