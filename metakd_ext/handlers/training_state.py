"""The full training state, written atomically every few epochs, and a run that resumes from it."""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import torch
from ignite.engine import Engine, Events

from metakd_ext.handlers.checkpoint_saver import StateDictSaver
from metakd_ext.utils.io import atomic_write
from metakd_ext.utils.modules import process_rank, unwrap

__all__ = ["TrainingStateSaver", "random_sources"]

_PACKAGES = ("monai", "metakd_ext")


def random_sources(objects: Sequence[object]) -> list[np.random.RandomState]:
    """The numpy random states (``.R``) of every MONAI-style randomizable object in ``objects`` and inside them
    (the transforms of a ``Compose``, the array transform inside a dictionary transform), in a fixed order."""
    found: list[np.random.RandomState] = []
    seen: set[int] = set()

    def walk(obj: object) -> None:
        if id(obj) in seen or isinstance(obj, (str, bytes, torch.Tensor, np.ndarray)):
            return
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            for item in obj:
                walk(item)
            return
        if not type(obj).__module__.startswith(_PACKAGES) or not hasattr(obj, "__dict__"):
            return
        state = getattr(obj, "R", None)
        if isinstance(state, np.random.RandomState) and id(state) not in seen:
            seen.add(id(state))
            found.append(state)
        for key, value in vars(obj).items():
            if not key.startswith("__"):
                walk(value)

    for obj in objects:
        walk(obj)
    return found


def _numpy_state(state: Any) -> dict:
    """A numpy ``get_state()`` tuple as tensors and numbers (loadable with ``weights_only=True``)."""
    kind, keys, pos, has_gauss, gauss = state
    return {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": pos, "has_gauss": has_gauss,
            "gauss": gauss}  # fmt: skip


def _numpy_tuple(saved: dict) -> tuple:
    """The inverse of :func:`_numpy_state`."""
    return (saved["kind"], saved["keys"].numpy().astype(np.uint32), saved["pos"], saved["has_gauss"], saved["gauss"])


class TrainingStateSaver:
    """Writes everything a run needs to continue, every ``interval`` epochs and at its last epoch, and resumes
    from it.

    The file (``save_dir/filename``, written atomically) holds the state dicts of ``save_dict`` (network, weight
    learner, optimisers, learning-rate scheduler), the trainer's epoch and iteration, its AMP gradient scaler, the
    best-checkpoint saver's record (best metric and epoch, so a resumed run does not replace a better
    ``model.pt``), and the random states: torch (CPU and CUDA), numpy, Python, and those of the randomizable
    objects in ``random_objects`` (the training and meta-validation transforms, the modality dropout). A run
    resumed from it at an epoch boundary replays the interrupted run: same epochs, same weights learner, same
    schedule, the same weights at the end on the same machine.

    Without ``resume`` a run that finds an earlier run's checkpoints in ``save_dir`` (its ``*.pt`` files:
    ``model.pt``, ``model_final.pt``, this file) moves them into ``save_dir/previous/<time>/`` and logs it, nothing
    trained before is lost; it does so at its own first write (of this file, or of ``best``'s and the final
    model's, whose savers call it first), so that a run stopped before it saved anything leaves the earlier
    ``model.pt`` in place and ``save_dir`` always holds one run's complete model.
    With ``resume`` a missing or finished state is an error that says so.

    A SIGTERM (a scheduler's time limit, ``kill``) is logged with the epoch and iteration it came at and the last
    training state saved, before the signal ends the process as it would have.

    Attach it after the validation handler, so that the state it writes includes that epoch's validation. In a
    multi-process run every process loads the state and only the first writes it.

    Args:
        save_dir: folder of the state (the bundle's ``ckpt_dir``).
        save_dict: name -> object with ``state_dict()`` / ``load_state_dict()``; None entries are left out (LCKD
            has no meta optimiser).
        best: the ``"best"`` :class:`StateDictSaver` of the validation, whose record is saved and restored.
        random_objects: objects whose randomizable parts' states are saved (transforms, ``RandDropModality``).
        interval: epochs between writes; the last epoch is always written.
        resume: continue from the saved state instead of starting anew.
        filename: file name of the state.
        logger_name: name of the Python logger.
    """

    def __init__(
        self,
        save_dir: str | os.PathLike,
        save_dict: Mapping[str, Any],
        best: StateDictSaver | None = None,
        random_objects: Sequence[object] = (),
        interval: int = 1,
        resume: bool = False,
        filename: str = "train_state.pt",
        logger_name: str = "metakd",
    ) -> None:
        if interval < 1:
            raise ValueError(f"`interval` must be >= 1, got {interval}.")
        save_dict = {name: obj for name, obj in save_dict.items() if obj is not None}
        for name, obj in save_dict.items():
            if not (hasattr(obj, "state_dict") and hasattr(obj, "load_state_dict")):
                raise ValueError(f"`save_dict[{name!r}]` has no state_dict() / load_state_dict().")
        self.save_dir = Path(save_dir)
        self.save_dict = dict(save_dict)
        self.best = best
        self.random_objects = list(random_objects)
        self.interval = interval
        self.resume = bool(resume)
        self.filename = filename
        self.logger = logging.getLogger(logger_name)
        self._earlier: list[Path] = []
        self._saved_epoch: int | None = None
        self._previous_sigterm: Any = None
        if best is not None:
            best.before_save.append(self.move_earlier_run)

    @property
    def path(self) -> Path:
        return self.save_dir / self.filename

    def attach(self, engine: Engine) -> None:
        """Registers the handler on the trainer."""
        engine.add_event_handler(Events.STARTED, self.start)
        engine.add_event_handler(Events.EPOCH_COMPLETED, self)
        engine.add_event_handler(Events.STARTED, self._log_termination)
        engine.add_event_handler(Events.COMPLETED, self._restore_sigterm)

    def _modules(self) -> Iterator[tuple[str, Any]]:
        for name, obj in self.save_dict.items():
            yield name, unwrap(obj)

    def state(self, engine: Engine) -> dict:
        """The content of the state file for ``engine`` now."""
        scaler = getattr(engine, "scaler", None)
        py_version, py_state, py_gauss = random.getstate()
        return {
            "epoch": engine.state.epoch,
            "iteration": engine.state.iteration,
            "objects": {name: obj.state_dict() for name, obj in self._modules()},
            "scaler": scaler.state_dict() if scaler is not None else None,
            "best": (
                None
                if self.best is None
                else {
                    "best_metric": self.best.best_metric,
                    "best_epoch": self.best.best_epoch,
                    "scored_epochs": list(self.best.scored_epochs),
                }
            ),
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
                "numpy": _numpy_state(np.random.get_state()),
                "python": {"version": py_version, "state": list(py_state), "gauss": py_gauss},
                "objects": [_numpy_state(s.get_state()) for s in random_sources(self.random_objects)],
            },
        }

    def __call__(self, engine: Engine) -> None:
        """Writes the state at the end of every ``interval``-th and of the last epoch (first process only)."""
        epoch = engine.state.epoch
        if process_rank() != 0 or not (epoch % self.interval == 0 or epoch == engine.state.max_epochs):
            return
        content = self.state(engine)
        self.move_earlier_run()
        atomic_write(self.path, lambda tmp: torch.save(content, tmp))
        self._saved_epoch = epoch
        self.logger.info(f"epoch {epoch}: saved the training state {self.path} (resume with --resume True)")

    def start(self, engine: Engine) -> None:
        """At the start of a run: resume from the state, or note an earlier run's files, to move aside at this run's
        first write (:meth:`move_earlier_run`)."""
        self._earlier = []
        self._saved_epoch = None
        if self.resume:
            self.load(engine)
        elif process_rank() == 0 and self.save_dir.is_dir():
            self._earlier = sorted(self.save_dir.glob("*.pt"))
            if self._earlier:
                self.logger.warning(
                    f"{self.save_dir} holds an earlier run's {', '.join(p.name for p in self._earlier)}: kept there "
                    "until this run saves its own, then moved to previous/ (to continue that run instead, pass "
                    "--resume True)."
                )

    def _log_termination(self, engine: Engine) -> None:
        """Installs, for this run, a SIGTERM handler that logs where the run stopped and what it saved, then lets the
        signal end the process (the handler before it runs, or the default: exit by the signal)."""
        if threading.current_thread() is not threading.main_thread():
            return
        previous = self._previous_sigterm = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self._saved_epoch is not None:
                saved = (
                    f"the last training state saved is epoch {self._saved_epoch} ({self.path}): continue with "
                    "--resume True"
                )
            else:
                saved = f"this run saved no training state yet; {self.save_dir} keeps what it held at the start"
            where = f"epoch {engine.state.epoch}, iteration {engine.state.iteration}"
            self.logger.error(f"received SIGTERM at {where}: stopping; {saved}.")
            signal.signal(signal.SIGTERM, previous)
            signal.raise_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, on_sigterm)

    def _restore_sigterm(self, engine: Engine) -> None:
        """At the end of a run: the SIGTERM handler from before it, where :meth:`_log_termination` replaced it."""
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None

    def move_earlier_run(self) -> None:
        """Moves the earlier run's checkpoints noted at the start into ``save_dir/previous/<time>/``, once; does
        nothing where there were none or they are moved already."""
        earlier = [p for p in self._earlier if p.exists()]
        self._earlier = []
        if not earlier:
            return
        target = self.save_dir / "previous" / time.strftime("%Y%m%d-%H%M%S")
        target.mkdir(parents=True, exist_ok=True)
        for path in earlier:
            shutil.move(str(path), str(target / path.name))
        self.logger.warning(
            f"{self.save_dir} held an earlier run's {', '.join(p.name for p in earlier)}: moved to {target} before "
            "this run's first save, not replaced."
        )

    def load(self, engine: Engine) -> None:
        """Restores the state into the objects and ``engine``, whose run then continues after the saved epoch.

        Raises:
            FileNotFoundError: there is no state to resume from.
            ValueError: the state cannot be read, does not fit, or its run has already reached ``max_epochs``.
        """
        if not self.path.is_file():
            raise FileNotFoundError(
                f"nothing to resume: {self.path} not found (a run writes it every `checkpoint_interval` epochs); "
                "start without --resume, or set `ckpt_dir` to the interrupted run's."
            )
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as e:
            raise ValueError(f"training state {self.path} cannot be read ({type(e).__name__}: {e}).") from e
        if state["epoch"] >= (engine.state.max_epochs or 0):
            raise ValueError(
                f"nothing to resume: {self.path} is at epoch {state['epoch']} and the run has "
                f"{engine.state.max_epochs} epochs; raise --epochs to train on, or start without --resume."
            )
        try:
            for name, obj in self._modules():
                obj.load_state_dict(state["objects"][name])
        except (KeyError, RuntimeError, ValueError) as e:
            raise ValueError(
                f"training state {self.path} does not fit this run ({type(e).__name__}: {e}); resume with the "
                "settings it was trained with."
            ) from e
        scaler = getattr(engine, "scaler", None)
        if scaler is not None and state["scaler"] is not None:
            scaler.load_state_dict(state["scaler"])
        if self.best is not None and state["best"] is not None:
            self.best.best_metric = state["best"]["best_metric"]
            self.best.best_epoch = state["best"]["best_epoch"]
            self.best.scored_epochs = list(state["best"]["scored_epochs"])
        rng = state["rng"]
        torch.set_rng_state(rng["torch"])
        if rng["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        np.random.set_state(_numpy_tuple(rng["numpy"]))
        random.setstate((rng["python"]["version"], tuple(rng["python"]["state"]), rng["python"]["gauss"]))
        sources = random_sources(self.random_objects)
        if len(sources) != len(rng["objects"]):
            raise ValueError(
                f"training state {self.path} has {len(rng['objects'])} random transform states, this run "
                f"{len(sources)}; resume with the transforms it was trained with."
            )
        for source, saved in zip(sources, rng["objects"]):
            source.set_state(_numpy_tuple(saved))
        engine.state.epoch = state["epoch"]
        engine.state.iteration = state["iteration"]
        self._saved_epoch = state["epoch"]
        self.logger.info(
            f"resumed from {self.path}: epoch {state['epoch']}, iteration {state['iteration']}; continuing to "
            f"epoch {engine.state.max_epochs}"
        )
