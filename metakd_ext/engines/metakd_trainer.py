"""MetaKD training on MONAI's engines: task loss + modality-weighted distillation + meta-learned weights."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
import torch.distributed as dist
from ignite.engine import Events
from monai.engines import SupervisedTrainer
from monai.engines.utils import IterationEvents
from monai.utils import CommonKeys as Keys
from torch import nn
from torch.func import functional_call
from torch.nn.parallel import DistributedDataParallel
from torch.optim import Optimizer

from metakd_ext.engines.prepare_batch import PrepareModalityBatch
from metakd_ext.losses.pairwise_kd import PairwiseModalityKDLoss
from metakd_ext.networks.blocks.modality_teachers import ModalityTeachers
from metakd_ext.networks.blocks.modality_weight_learner import ModalityWeightLearner
from metakd_ext.transforms.array import RandDropModality
from metakd_ext.utils.availability import ModalityInputs, apply_modality_mask
from metakd_ext.utils.enums import BatchKey, KDPairs, MetaMode, look_up

__all__ = ["MetaKDTrainer"]


class MetaKDTrainer(SupervisedTrainer):
    """Trains a multi-encoder network with MetaKD (Wang et al., arXiv 2405.07155).

    Each iteration: the batch's inputs and (B, M) availability mask from ``prepare_batch`` (the one place the mask
    leaves the batch), random modality dropping (after ``missing_warmup_iters``), a forward pass that
    also returns the per-modality features of the network's ``kd_scales`` (the bottleneck, or every scale the
    decoder reads), ``loss = task + kd_weight * KD`` where KD is
    :class:`~metakd_ext.losses.PairwiseModalityKDLoss` weighted by the detached importance ratios, and one step of
    the network's optimiser. Every ``meta_interval`` iterations (``meta_warmup_interval`` during the warm-up),
    :meth:`meta_step` updates the importance logits on a meta-validation loader. MONAI's ``IterationEvents``
    fire as in :class:`monai.engines.SupervisedTrainer`; the iteration output also holds ``"task_loss"``,
    ``"kd_loss"`` and, after a meta step, ``"meta_loss"``. After the backward pass its ``"loss"`` is detached, so
    handlers can log it as a number.

    The network must accept ``network(x, modality_mask=..., modality_weights=..., return_features=...)`` like
    :class:`~metakd_ext.networks.MultiEncoderUNet` (``x`` a (B, M, *spatial) tensor) or
    :class:`~metakd_ext.networks.MultiEncoderClassifier` (``x`` a ``{modality: tensor}`` mapping), and may be
    wrapped in ``DistributedDataParallel``.

    Args:
        device, max_epochs, train_data_loader, network, optimizer, loss_function: as for ``SupervisedTrainer``;
            ``loss_function(pred, label)`` is the task loss.
        weight_learner: the importance logits ``w``, on ``device``; or, for LCKD (Wang et al., arXiv 2310.01035),
            the elected :class:`~metakd_ext.networks.ModalityTeachers`, whose 0/1 pair weights take the place of
            ``p_i / p_j`` (then ``meta_interval`` must be 0, and a
            :class:`~metakd_ext.handlers.TeacherElectionHandler` elects them). ``kd_weight`` 0 with
            ``meta_interval`` 0 trains the network with modality dropping alone.
        meta_data_loader: meta-validation batches (a small held-out set, no random augmentation); required
            when ``meta_interval > 0``. It is cycled, and starts again with every epoch, so that a run resumed at
            an epoch boundary draws the same meta batches as the interrupted one.
        meta_optimizer: optimiser of ``weight_learner`` alone (the authors: Adam, lr 1e-2, weight decay 5e-4);
            default exactly that (none for teachers).
        kd_loss: distillation loss; default :class:`~metakd_ext.losses.PairwiseModalityKDLoss` (). Its
            ``pairs="to_weaker"`` needs unequal weights: with equal ones and no meta step to move them (uniform) it
            would distil nothing, and elected teachers (LCKD) already distil one way. Unequal weights without a meta
            step (a ``ModalityWeightLearner`` frozen at its random start) give a fixed one-way order.
        kd_weight: weight of the distillation loss (the authors: 0.1).
        meta_mode: ``"first_order"`` (the authors': the task loss of the meta batch with each modality's
            features multiplied by ``p_m`` at the network's ``kd_scales``) or ``"unrolled"`` (one virtual SGD step
            of the network on the training loss with differentiable ratios, then the task loss of the updated
            network on a meta batch under random missing patterns, differentiated with respect to ``w``).
        meta_interval: iterations between meta steps after the warm-up; 0 turns meta-learning off.
        meta_warmup_interval: iterations between meta steps during the warm-up; default ``meta_interval``.
        meta_steps: optimiser steps on ``w`` per meta step (the authors: 20).
        unrolled_lr: learning rate of the virtual step; default the network optimiser's current rate.
        missing_warmup_iters: iterations trained on the modalities each case has before random dropping starts.
        modality_dropout: the random dropping, (B, M) mask in, (B, M) kept modalities out; default
            :class:`~metakd_ext.transforms.RandDropModality` () (a pattern per sample). Seed it with
            ``set_random_state`` for a replayable run.
        prepare_batch: returns ``(inputs, label, args, {"modality_mask": (B, M) bool})``; default
            :class:`~metakd_ext.engines.PrepareModalityBatch` () (``image``, ``label`` and ``modality_mask`` keys).
        kwargs: further arguments of ``SupervisedTrainer`` (``amp``, ``train_handlers``, ``postprocessing``...).

    Raises:
        ValueError: a numeric argument is out of range, meta-learning is on without a meta loader, or
            ``to_weaker`` pairs are asked for with weights that no meta step moves and that distil no pair (equal
            weights, elected teachers); in a run, a ``prepare_batch`` that gives no modality mask.
    """

    def __init__(
        self,
        device: str | torch.device,
        max_epochs: int,
        train_data_loader: Iterable,
        network: nn.Module,
        optimizer: Optimizer,
        loss_function: Callable,
        weight_learner: ModalityWeightLearner | ModalityTeachers,
        meta_data_loader: Iterable | None = None,
        meta_optimizer: Optimizer | None = None,
        kd_loss: PairwiseModalityKDLoss | None = None,
        kd_weight: float = 0.1,
        meta_mode: MetaMode | str = MetaMode.FIRST_ORDER,
        meta_interval: int = 500,
        meta_warmup_interval: int | None = None,
        meta_steps: int = 20,
        unrolled_lr: float | None = None,
        missing_warmup_iters: int = 0,
        modality_dropout: RandDropModality | None = None,
        prepare_batch: Callable | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            device=device,
            max_epochs=max_epochs,
            train_data_loader=train_data_loader,
            network=network,
            optimizer=optimizer,
            loss_function=loss_function,
            prepare_batch=prepare_batch or PrepareModalityBatch(),
            **kwargs,
        )
        for name, value in (("meta_interval", meta_interval), ("meta_steps", meta_steps)):
            if value < 0:
                raise ValueError(f"`{name}` must be >= 0, got {value}.")
        if missing_warmup_iters < 0:
            raise ValueError(f"`missing_warmup_iters` must be >= 0, got {missing_warmup_iters}.")
        if kd_weight < 0:
            raise ValueError(f"`kd_weight` must be >= 0, got {kd_weight}.")
        warmup_interval = meta_interval if meta_warmup_interval is None else meta_warmup_interval
        meta = meta_steps > 0 and (meta_interval > 0 or warmup_interval > 0)
        if meta and meta_data_loader is None:
            raise ValueError("`meta_data_loader` is required when a meta interval and `meta_steps` are > 0.")
        if meta and not isinstance(weight_learner, ModalityWeightLearner):
            raise ValueError(
                f"meta-learning needs a ModalityWeightLearner, got {type(weight_learner).__name__}; set "
                "`meta_interval` and `meta_warmup_interval` to 0 for fixed or elected teachers (LCKD)."
            )
        kd_loss = kd_loss or PairwiseModalityKDLoss()
        if kd_weight > 0 and kd_loss.pairs == KDPairs.TO_WEAKER and not meta:
            ratios = weight_learner.ratios()  # fixed for the whole run: no meta step moves them
            every_modality = torch.ones(1, ratios.shape[0], dtype=torch.bool, device=ratios.device)
            if not kd_loss.pair_weights(every_modality, ratios)[0].any():
                elected = not isinstance(weight_learner, ModalityWeightLearner)
                raise ValueError(
                    f"`kd_pairs` 'to_weaker' distils only from a modality whose weight is above the student's; with "
                    f"{'elected teachers (' + type(weight_learner).__name__ + ')' if elected else 'equal weights'} and "
                    f"no meta step (`meta_interval` {meta_interval}, `meta_warmup_interval` {warmup_interval}, "
                    f"`meta_steps` {meta_steps}) it is meaningless (equal weights distil nothing; LCKD's teachers "
                    "already distil one way). Use `kd_pairs` 'all' for uniform weights and LCKD."
                )
        self.weight_learner = weight_learner
        self.meta_data_loader = meta_data_loader
        self.meta_optimizer = meta_optimizer
        if meta_optimizer is None and isinstance(weight_learner, ModalityWeightLearner):
            self.meta_optimizer = torch.optim.Adam(weight_learner.parameters(), lr=1e-2, weight_decay=5e-4)
        self.kd_loss = kd_loss
        self.kd_weight = kd_weight
        self.meta_mode = look_up(MetaMode, meta_mode, "meta_mode")
        self.meta_interval = meta_interval
        self.meta_warmup_interval = warmup_interval
        self.meta_steps = meta_steps
        self.unrolled_lr = unrolled_lr
        self.missing_warmup_iters = missing_warmup_iters
        self.modality_dropout = modality_dropout or RandDropModality()
        self._meta_iter: Iterator | None = None
        self.add_event_handler(Events.EPOCH_STARTED, self._restart_meta_batches)
        if dist.is_available() and dist.is_initialized():
            for p in self.weight_learner.parameters():
                dist.broadcast(p.data, src=0)

    @property
    def meta_learner(self) -> ModalityWeightLearner:
        """The weight learner that the meta step trains.

        Raises:
            ValueError: the trainer distils from fixed or elected teachers.
        """
        if not isinstance(self.weight_learner, ModalityWeightLearner):
            raise ValueError(f"the meta step needs a ModalityWeightLearner, not {type(self.weight_learner).__name__}.")
        return self.weight_learner

    @property
    def base_network(self) -> nn.Module:
        """The network without its ``DistributedDataParallel`` wrapper."""
        net = self.network
        return net.module if isinstance(net, DistributedDataParallel) else net

    def _prepare(self, batchdata: dict) -> tuple[ModalityInputs, torch.Tensor, torch.Tensor]:
        """(inputs, label, (B, M) bool mask) of a batch on the engine's device, as ``prepare_batch`` gives them.

        Raises:
            ValueError: ``prepare_batch`` gives no modality mask.
        """
        batch = self.prepare_batch(batchdata, self.state.device, self.non_blocking, **self.to_kwargs)
        mask = batch[3].get(BatchKey.MASK) if len(batch) == 4 else None
        if mask is None:
            raise ValueError(
                "MetaKDTrainer needs the modality mask from `prepare_batch` (its extra input `modality_mask`); use "
                "metakd_ext.engines.PrepareModalityBatch."
            )
        return batch[0], batch[1], mask

    def _drop(self, inputs: ModalityInputs, mask: torch.Tensor) -> tuple[ModalityInputs, torch.Tensor]:
        """Random missing patterns from :attr:`modality_dropout`, the inputs of dropped modalities zeroed."""
        keep = self.modality_dropout(mask)
        return apply_modality_mask(inputs, keep), keep

    def _autocast(self) -> torch.autocast:
        """Autocast on the engine's device, enabled when ``amp`` is."""
        return torch.autocast(torch.device(self.state.device).type, enabled=bool(self.amp), **self.amp_kwargs)

    def _full_precision(self) -> torch.autocast:
        """Autocast off: the meta step runs in fp32 even under AMP.

        The meta gradient on ``w`` reaches it through every voxel of the task loss, about 1e-7 per logit at a
        128^3 crop: below what fp16 holds (exactly zero there), and no gradient scaler guards this path. The meta
        step is rare (``meta_steps`` every ``meta_interval`` iterations), so fp32 costs little.
        """
        return torch.autocast(torch.device(self.state.device).type, enabled=False)

    def _iteration(self, engine: MetaKDTrainer, batchdata: dict[str, torch.Tensor]) -> dict:  # type: ignore[override]
        """One MetaKD training iteration; returns the iteration output dictionary."""
        if batchdata is None:
            raise ValueError("Must provide batch data for current iteration.")
        inputs, targets, mask = engine._prepare(batchdata)
        iteration = engine.state.iteration
        warmup = iteration <= engine.missing_warmup_iters
        if not warmup:
            inputs, mask = engine._drop(inputs, mask)
        engine.state.output = {Keys.IMAGE: inputs, Keys.LABEL: targets, BatchKey.MASK: mask}
        engine.network.train()
        engine.optimizer.zero_grad(set_to_none=engine.optim_set_to_none)
        with engine._autocast():
            pred, features = engine.inferer(inputs, engine.network, modality_mask=mask, return_features=True)  # type: ignore[arg-type]
            engine.state.output[Keys.PRED] = pred
            engine.fire_event(IterationEvents.FORWARD_COMPLETED)
            task = engine.loss_function(pred, targets).mean()
            kd = engine.kd_loss(features, mask, engine.weight_learner.ratios())
            loss = task + engine.kd_weight * kd
        engine.state.output.update({Keys.LOSS: loss, "task_loss": task.detach(), "kd_loss": kd.detach()})
        engine.fire_event(IterationEvents.LOSS_COMPLETED)
        if engine.amp and engine.scaler is not None:
            engine.scaler.scale(loss).backward()
            engine.fire_event(IterationEvents.BACKWARD_COMPLETED)
            engine.scaler.step(engine.optimizer)
            engine.scaler.update()
        else:
            loss.backward()
            engine.fire_event(IterationEvents.BACKWARD_COMPLETED)
            engine.optimizer.step()
        engine.state.output[Keys.LOSS] = loss.detach()  # its graph is spent: handlers read a plain value
        interval = engine.meta_warmup_interval if warmup else engine.meta_interval
        if interval > 0 and engine.meta_steps > 0 and iteration % interval == 0:
            engine.state.output["meta_loss"] = engine.meta_step(train_batch=(inputs, targets, mask))
        engine.fire_event(IterationEvents.MODEL_COMPLETED)
        return engine.state.output

    def _restart_meta_batches(self) -> None:
        self._meta_iter = None

    def _next_meta_batch(self) -> dict:
        if self.meta_data_loader is None:
            raise ValueError("`meta_data_loader` is required for a meta step.")
        if self._meta_iter is None:
            self._meta_iter = iter(self.meta_data_loader)
        try:
            return next(self._meta_iter)
        except StopIteration:
            self._meta_iter = iter(self.meta_data_loader)
            return next(self._meta_iter)

    def meta_step(self, train_batch: tuple[ModalityInputs, torch.Tensor, torch.Tensor] | None = None) -> float:
        """Updates the importance logits ``w`` with ``meta_steps`` steps of the meta optimiser.

        The network's parameters and its optimiser are not changed; the network runs in eval mode, so its
        normalisation statistics are not changed either. It runs in fp32 under AMP too (see :meth:`_full_precision`).

        Args:
            train_batch: (inputs, targets, mask) of the current training batch; required by ``"unrolled"``.

        Returns:
            The mean meta loss over the steps.
        """
        net = self.base_network
        was_training = net.training
        net.eval()
        total = 0.0
        try:
            for _ in range(self.meta_steps):
                inputs, targets, mask = self._prepare(self._next_meta_batch())
                if self.meta_mode == MetaMode.FIRST_ORDER:
                    loss, grads = self._first_order_grads(net, inputs, targets, mask)
                else:
                    if train_batch is None:
                        raise ValueError("the unrolled meta step needs the current training batch.")
                    inputs, mask = self._drop(inputs, mask)
                    loss, grads = self._unrolled_grads(net, train_batch, (inputs, targets, mask))
                self._apply_meta_grads(grads)
                total += float(loss)
        finally:
            net.train(was_training)
        return total / max(self.meta_steps, 1)

    def _first_order_grads(
        self, net: nn.Module, inputs: ModalityInputs, targets: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Task loss with the features of the network's ``kd_scales`` weighted by ``p``; gradient with respect to ``w``
        only."""
        params = list(self.meta_learner.parameters())
        with self._full_precision():
            pred = net(inputs, modality_mask=mask, modality_weights=self.meta_learner.weights())
            loss = self.loss_function(pred, targets).mean()
        return loss.detach(), list(torch.autograd.grad(loss, params))

    def _unrolled_grads(
        self,
        net: nn.Module,
        train_batch: tuple[ModalityInputs, torch.Tensor, torch.Tensor],
        meta_batch: tuple[ModalityInputs, torch.Tensor, torch.Tensor],
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Bi-level gradient: d L_meta(theta - lr * grad_theta L_train(theta, w)) / d w."""
        params: dict[str, torch.Tensor] = {n: p for n, p in net.named_parameters() if p.requires_grad}
        lr = self.unrolled_lr if self.unrolled_lr is not None else float(self.optimizer.param_groups[0]["lr"])
        x, y, m = train_batch
        with self._full_precision():
            pred, feats = functional_call(net, params, (x,), {"modality_mask": m, "return_features": True})
            train_loss = self.loss_function(pred, y).mean()
            train_loss = train_loss + self.kd_weight * self.kd_loss(feats, m, self.meta_learner.ratios(detach=False))
        grads = torch.autograd.grad(train_loss, list(params.values()), create_graph=True, allow_unused=True)
        updated = {n: p if g is None else p - lr * g for (n, p), g in zip(params.items(), grads)}
        x_v, y_v, m_v = meta_batch
        with self._full_precision():
            meta_loss = self.loss_function(functional_call(net, updated, (x_v,), {"modality_mask": m_v}), y_v).mean()
        w_params = list(self.meta_learner.parameters())
        w_grads = torch.autograd.grad(meta_loss, w_params, allow_unused=True)
        return meta_loss.detach(), [torch.zeros_like(p) if g is None else g for p, g in zip(w_params, w_grads)]

    def _apply_meta_grads(self, grads: list[torch.Tensor]) -> None:
        """Averages the gradients of ``w`` over processes and steps the meta optimiser."""
        optimizer = self.meta_optimizer
        if optimizer is None:
            raise ValueError("the meta step needs `meta_optimizer`.")
        distributed = dist.is_available() and dist.is_initialized()
        optimizer.zero_grad(set_to_none=True)
        for p, g in zip(self.meta_learner.parameters(), grads):
            g = g.detach().float().clone()
            if distributed:
                dist.all_reduce(g)
                g /= dist.get_world_size()
            p.grad = g.to(p.dtype)
        optimizer.step()
