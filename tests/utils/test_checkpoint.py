from __future__ import annotations

import pytest
import torch

from metakd_ext.networks import ModalityWeightLearner, MultiEncoderUNet
from metakd_ext.utils import load_checkpoint


def test_load_and_clear_errors(tmp_path) -> None:
    net = MultiEncoderUNet(channels=(4, 8))
    learner = ModalityWeightLearner(4)
    torch.save({"model": net.state_dict(), "weight_learner": learner.state_dict()}, tmp_path / "m.pt")
    fresh = MultiEncoderUNet(channels=(4, 8))
    load_checkpoint(tmp_path / "m.pt", model=fresh, weight_learner=ModalityWeightLearner(4))
    assert all(torch.equal(a, b) for a, b in zip(fresh.parameters(), net.parameters()))
    with pytest.raises(ValueError, match="does not fit the model: .*size mismatch.*other network settings"):
        load_checkpoint(tmp_path / "m.pt", model=MultiEncoderUNet(channels=(8, 16)))
    with pytest.raises(ValueError, match="has no 'optimizer' entry"):
        load_checkpoint(tmp_path / "m.pt", optimizer=torch.nn.Linear(1, 1))
    with pytest.raises(FileNotFoundError, match="not found"):
        load_checkpoint(tmp_path / "none.pt", model=fresh)
    torch.save(net, tmp_path / "pickled.pt")
    with pytest.raises(ValueError, match="cannot be read as a state-dict checkpoint"):
        load_checkpoint(tmp_path / "pickled.pt", model=fresh)
