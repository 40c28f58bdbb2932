"""MetaKDTrainer on heterogeneous modalities: a classifier fed by {modality: tensor} batches."""

from __future__ import annotations

import pytest
import torch

from metakd_ext.engines import MetaKDTrainer, PrepareModalityBatch
from metakd_ext.networks import ImageEncoder, ModalityWeightLearner, MultiEncoderClassifier, TabularEncoder
from metakd_ext.transforms import RandDropModality

MODALITIES = ["mri", "csf", "genetic"]


def _batches(n: int, batch: int = 4, seed: int = 0) -> list[dict]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        label = torch.randint(0, 3, (batch,), generator=g)
        mask = torch.ones(batch, 3, dtype=torch.bool)
        mask[0, 1] = False  # a subject without CSF
        out.append(
            {
                "mri": torch.rand(batch, 1, 8, 8, 8, generator=g) + label[:, None, None, None, None],
                "csf": torch.randn(batch, 3, generator=g) * mask[:, 1:2],
                "genetic": label[:, None].float(),
                "label": label,
                "modality_mask": mask,
            }
        )
    return out


def _trainer(meta_mode: str = "first_order") -> MetaKDTrainer:
    torch.manual_seed(0)
    net = MultiEncoderClassifier(
        MODALITIES,
        {"mri": ImageEncoder(3, 1, (4, 8)), "csf": TabularEncoder(3, (8,)), "genetic": TabularEncoder(1, (8,))},
        num_classes=3,
        feature_size=8,
        hidden_size=8,
    )
    learner = ModalityWeightLearner(3)
    return MetaKDTrainer(
        device="cpu",
        max_epochs=2,
        train_data_loader=_batches(3),
        network=net,
        optimizer=torch.optim.Adam(net.parameters(), lr=1e-2),
        loss_function=torch.nn.CrossEntropyLoss(),
        weight_learner=learner,
        meta_data_loader=_batches(2, seed=1),
        meta_optimizer=torch.optim.Adam(learner.parameters(), lr=0.05),
        meta_mode=meta_mode,
        meta_interval=2,
        meta_steps=2,
        missing_warmup_iters=2,
        modality_dropout=RandDropModality().set_random_state(0),
        prepare_batch=PrepareModalityBatch(MODALITIES),
        decollate=False,
    )


@pytest.mark.parametrize("meta_mode", ["first_order", "unrolled"])
def test_trains_and_meta_learns_on_mixed_modalities(meta_mode: str) -> None:
    trainer = _trainer(meta_mode)
    before = trainer.weight_learner.weights().detach().clone()
    params = [p.detach().clone() for p in trainer.network.parameters()]
    trainer.run()
    out = trainer.state.output
    assert out["pred"].shape == (4, 3) and torch.isfinite(out["loss"])
    assert float(out["kd_loss"]) > 0
    assert not torch.allclose(trainer.weight_learner.weights(), before)
    assert any(not torch.equal(a, b) for a, b in zip(params, trainer.network.parameters()))


def test_drop_zeroes_dropped_entries_of_a_mapping() -> None:
    trainer = _trainer()
    batch = _batches(1)[0]
    inputs = {m: batch[m] for m in MODALITIES}
    out, keep = trainer._drop(inputs, batch["modality_mask"])
    assert set(out) == set(MODALITIES) and keep.shape == (4, 3)
    assert bool((keep & ~batch["modality_mask"]).any()) is False and bool(keep.any(dim=1).all())
    for m, name in enumerate(MODALITIES):
        dropped = ~keep[:, m]
        assert torch.all(out[name][dropped] == 0)
        assert torch.equal(out[name][~dropped], inputs[name][~dropped])


def test_prepare_modality_batch_needs_every_key() -> None:
    batch = _batches(1)[0]
    inputs, label, args, kwargs = PrepareModalityBatch(MODALITIES)(batch, "cpu")
    assert list(inputs) == MODALITIES and label.dtype == torch.long and args == ()
    assert kwargs["modality_mask"].dtype == torch.bool
    batch["modality_mask"][1] = False
    batch["subject"] = ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="cases b have no available modality"):
        PrepareModalityBatch(MODALITIES, case_key="subject")(batch, "cpu")
    del batch["csf"]
    with pytest.raises(KeyError, match="FillMissingModalitiesd"):
        PrepareModalityBatch(MODALITIES)(batch, "cpu")
