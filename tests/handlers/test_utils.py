from __future__ import annotations

import torch

from metakd_ext.handlers import from_engine_channel


def test_from_engine_channel() -> None:
    batch = [{"pred": torch.rand(3, 2, 2), "label": torch.rand(3, 2, 2)} for _ in range(2)]
    preds, labels = from_engine_channel(["pred", "label"], 1)(batch)
    assert len(preds) == 2 and preds[0].shape == (1, 2, 2)
    assert torch.equal(preds[1][0], batch[1]["pred"][1])
