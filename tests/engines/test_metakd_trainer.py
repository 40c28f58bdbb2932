from __future__ import annotations

import pytest
import torch
from ignite.engine import Events
from monai.losses import DiceFocalLoss

from metakd_ext.engines import MetaKDTrainer
from metakd_ext.losses import PairwiseModalityKDLoss
from metakd_ext.networks import ModalityTeachers, ModalityWeightLearner, MultiEncoderUNet
from metakd_ext.transforms import RandDropModality


def _batches(n: int, batch: int = 2, size: int = 16, seed: int = 0) -> list[dict]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        image = torch.rand(batch, 4, size, size, size, generator=g)
        label = (image[:, :3] > 0.6).float()
        out.append({"image": image, "label": label, "modality_mask": torch.ones(batch, 4, dtype=torch.bool)})
    return out


def _trainer(meta_mode: str = "first_order", kd_scales: str | list[int] = "bottleneck", **kwargs) -> MetaKDTrainer:
    torch.manual_seed(0)
    net = MultiEncoderUNet(channels=(4, 8, 16), kd_scales=kd_scales)
    learner = ModalityWeightLearner(4)
    defaults = {
        "device": "cpu",
        "max_epochs": 1,
        "train_data_loader": _batches(2),
        "network": net,
        "optimizer": torch.optim.SGD(net.parameters(), lr=0.01),
        "loss_function": DiceFocalLoss(sigmoid=True, gamma=0.0),
        "weight_learner": learner,
        "meta_data_loader": _batches(2, seed=1),
        "meta_optimizer": torch.optim.Adam(learner.parameters(), lr=0.05),
        "decollate": False,
        "meta_mode": meta_mode,
        "meta_interval": 1,
        "meta_steps": 2,
        "modality_dropout": RandDropModality().set_random_state(0),
    }
    defaults.update(kwargs)
    return MetaKDTrainer(**defaults)


def _prepare(trainer: MetaKDTrainer) -> None:
    trainer.state.device = torch.device("cpu")


def test_first_order_meta_step_changes_w_and_not_network() -> None:
    trainer = _trainer()
    _prepare(trainer)
    net_before = {k: v.clone() for k, v in trainer.network.state_dict().items()}
    p_before = trainer.weight_learner.weights().detach().clone()
    loss = trainer.meta_step()
    assert loss > 0
    assert (trainer.weight_learner.weights() - p_before).abs().max() > 1e-3
    for k, v in trainer.network.state_dict().items():
        assert torch.equal(v, net_before[k]), k
    assert all(p.grad is None for p in trainer.network.parameters())
    assert trainer.network.training


def test_first_order_gradient_reaches_w_only_through_weighting() -> None:
    trainer = _trainer()
    _prepare(trainer)
    batch = trainer._prepare(_batches(1)[0])
    _, grads = trainer._first_order_grads(trainer.network.eval(), *batch)
    assert grads[0].abs().sum() > 0


@pytest.mark.parametrize("kd_scales, reaches_w", [("bottleneck", False), ([0], True), ("all", True)])
def test_meta_gradient_reaches_w_through_a_skip_scale(kd_scales, reaches_w: bool) -> None:
    trainer = _trainer(kd_scales=kd_scales)
    _prepare(trainer)
    with torch.no_grad():  # the decoder gets nothing from the bottleneck: only the skips carry the signal
        bottleneck = trainer.network.fusions[str(trainer.network.read_scales[-1])]
        bottleneck.mix.weight.zero_()
        bottleneck.mix.bias.zero_()
    batch = trainer._prepare(_batches(1)[0])
    _, (grad,) = trainer._first_order_grads(trainer.network.eval(), *batch)
    assert bool((grad != 0).any()) == reaches_w


def _bundle_size_loss(pred: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """Dice + BCE scaled by 1e-3: the per-voxel gradient of a 1000x larger crop (16^3 -> 160^3) on a tiny one."""
    return 1e-3 * DiceFocalLoss(sigmoid=True, gamma=0.0, lambda_focal=3.0, batch=True)(pred, label)


@pytest.mark.parametrize("kd_scales", ["bottleneck", "all"])
@pytest.mark.parametrize("meta_mode", ["first_order", "unrolled"])
def test_meta_gradient_is_exact_under_fp16_autocast(meta_mode: str, kd_scales: str) -> None:
    grads = {}
    for amp in (False, True):  # AMP emulated on the CPU with fp16 autocast; in fp16 this gradient is exactly 0
        trainer = _trainer(
            meta_mode, kd_scales, loss_function=_bundle_size_loss, amp=amp, amp_kwargs={"dtype": torch.float16}
        )
        _prepare(trainer)
        batch = trainer._prepare(_batches(1, size=16, seed=3)[0])
        if meta_mode == "first_order":
            _, (grads[amp],) = trainer._first_order_grads(trainer.network.eval(), *batch)
        else:
            _, (grads[amp],) = trainer._unrolled_grads(trainer.network.eval(), batch, batch)
    assert float(grads[True].abs().min()) > 0
    torch.testing.assert_close(grads[True], grads[False], rtol=1e-4, atol=0.0)


def test_unrolled_meta_step_gives_w_a_gradient() -> None:
    trainer = _trainer("unrolled")
    _prepare(trainer)
    train_batch = trainer._prepare(_batches(1, seed=5)[0])
    meta_batch = trainer._prepare(_batches(1, seed=6)[0])
    meta_batch = (meta_batch[0], meta_batch[1], torch.tensor([[1, 0, 1, 1], [0, 1, 1, 0]]).bool())
    loss, grads = trainer._unrolled_grads(trainer.network, train_batch, meta_batch)
    assert torch.isfinite(loss)
    assert grads[0].abs().sum() > 0
    net_before = {k: v.clone() for k, v in trainer.network.state_dict().items()}
    trainer.meta_step(train_batch=train_batch)
    for k, v in trainer.network.state_dict().items():
        assert torch.equal(v, net_before[k]), k


def test_training_run_updates_network_logs_losses_and_meta_steps() -> None:
    trainer = _trainer(max_epochs=2, missing_warmup_iters=1)
    w_before = trainer.weight_learner.logits.detach().clone()
    p_before = [p.detach().clone() for p in trainer.network.parameters()]
    seen = []
    trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: seen.append(dict(e.state.output)))
    trainer.run()
    assert len(seen) == 4
    assert all(k in seen[0] for k in ("loss", "task_loss", "kd_loss", "meta_loss", "modality_mask"))
    assert bool(seen[0]["modality_mask"].all())  # warm-up: nothing dropped
    assert not all(bool(o["modality_mask"].all()) for o in seen[1:])  # dropped afterwards
    assert not torch.allclose(trainer.weight_learner.logits, w_before)
    assert any(not torch.equal(a, b) for a, b in zip(p_before, trainer.network.parameters()))


def test_kd_gradient_does_not_reach_w_in_training_loss() -> None:
    trainer = _trainer(meta_interval=0, kd_weight=1.0)
    trainer.run()
    assert trainer.weight_learner.logits.grad is None


def test_drop_zeroes_the_inputs_of_the_dropped_modalities() -> None:
    trainer = _trainer()
    x = torch.ones(64, 4, 2, 2, 2)
    mask = torch.ones(64, 4, dtype=torch.bool)
    mask[:, 3] = False
    out, keep = trainer._drop(x, mask)
    assert not keep[:, 3].any() and keep.any(dim=1).all()
    assert torch.equal(out.flatten(2).amax(2).bool(), keep)
    assert len({tuple(k.tolist()) for k in keep}) > 1
    batch_trainer = _trainer(modality_dropout=RandDropModality(per_sample=False).set_random_state(0))
    _, keep = batch_trainer._drop(x, mask)
    assert len({tuple(k.tolist()) for k in keep}) == 1


def test_the_mask_comes_from_prepare_batch_only() -> None:
    trainer = _trainer()
    _prepare(trainer)
    batch = _batches(1)[0]
    batch["modality_mask"] = torch.tensor([[1, 0, 1, 1], [1, 1, 1, 1]]).bool()
    _, _, mask = trainer._prepare(batch)
    assert torch.equal(mask, batch["modality_mask"])
    del batch["modality_mask"]
    batch["image"][0, 2] = 0  # no mask in the batch: all-zero modalities are missing
    assert trainer._prepare(batch)[2][0].tolist() == [True, True, False, True]
    plain = _trainer(prepare_batch=lambda b, device, non_blocking, **kw: (b["image"], b["label"]))
    _prepare(plain)
    with pytest.raises(ValueError, match="needs the modality mask from `prepare_batch`"):
        plain._prepare(batch)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="meta_data_loader"):
        _trainer(meta_data_loader=None)
    with pytest.raises(ValueError, match="`meta_mode` must be one of"):
        _trainer(meta_mode="second_order")
    with pytest.raises(ValueError, match="`kd_weight` must be >= 0"):
        _trainer(kd_weight=-1.0)


def test_to_weaker_needs_unequal_weights_or_a_meta_step() -> None:
    to_weaker = PairwiseModalityKDLoss(pairs="to_weaker")
    uniform = ModalityWeightLearner(4, init="zeros")
    with pytest.raises(ValueError, match="'to_weaker' .* with equal weights and no meta step .* meaningless"):
        _trainer(kd_loss=to_weaker, weight_learner=uniform, meta_interval=0, meta_optimizer=None)
    with pytest.raises(ValueError, match=r"with elected teachers \(ModalityTeachers\) and no meta step"):
        _trainer(kd_loss=to_weaker, weight_learner=ModalityTeachers(4), meta_interval=0, meta_optimizer=None)
    _trainer(kd_loss=to_weaker, meta_interval=0, kd_weight=0.0)  # no KD: nothing to distil, nothing to refuse
    _trainer(kd_loss=to_weaker, weight_learner=uniform, meta_optimizer=None, kd_weight=1.0)  # a meta step moves them
    frozen = _trainer(kd_loss=to_weaker, meta_interval=0, kd_weight=1.0)  # random start, never moved: a fixed order
    frozen.run()
    assert float(frozen.state.output["kd_loss"]) > 0
    trainer = _trainer(kd_loss=to_weaker, kd_scales="all", kd_weight=1.0)
    trainer.run()
    assert float(trainer.state.output["kd_loss"]) > 0


def test_lckd_teachers_distil_without_a_meta_step() -> None:
    teachers = ModalityTeachers(4, initial=[2])
    trainer = _trainer(weight_learner=teachers, meta_interval=0, meta_optimizer=None, kd_weight=1.0, max_epochs=2)
    trainer.run()
    assert float(trainer.state.output["kd_loss"]) > 0 and trainer.meta_optimizer is None
    with pytest.raises(ValueError, match="meta-learning needs a ModalityWeightLearner, got ModalityTeachers"):
        _trainer(weight_learner=ModalityTeachers(4), meta_optimizer=None)
    with pytest.raises(ValueError, match="meta-learning needs a ModalityWeightLearner"):  # meta steps in the warm-up
        _trainer(weight_learner=ModalityTeachers(4), meta_optimizer=None, meta_interval=0, meta_warmup_interval=20)
