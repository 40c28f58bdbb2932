from __future__ import annotations

import pytest
import torch

from metakd_ext.networks import ModalityWeightLearner, MultiEncoderUNet
from metakd_ext.utils import load_bundle_checkpoint, load_checkpoint


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


def test_bundle_loading_ends_with_one_line(tmp_path) -> None:
    with pytest.raises(SystemExit, match=r"^error: checkpoint .*none.pt not found; train first") as info:
        load_bundle_checkpoint(tmp_path / "none.pt", model=torch.nn.Linear(1, 1))
    assert info.value.__cause__ is None and info.value.__suppress_context__
    torch.save({"model": torch.nn.Linear(1, 1).state_dict()}, tmp_path / "m.pt")
    with pytest.raises(SystemExit, match="does not fit the model"):
        load_bundle_checkpoint(tmp_path / "m.pt", model=torch.nn.Linear(2, 2))
