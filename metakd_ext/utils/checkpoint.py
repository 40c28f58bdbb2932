"""The bundle's checkpoint files: the model zoo's layout, one plain state dict per file.

``model.pt`` holds the network's state dict, as a MONAI model-zoo bundle's does (``ckpt_export``,
``verify_net_in_out``, MONAI Label and ``net.load_state_dict(torch.load("model.pt"))`` read it as it is). Every
other module saved with it (the MetaKD weight learner, LCKD's teachers) goes to a companion file beside it,
``model_<name>.pt`` (:func:`companion_path`). A nested file ``{"model": ..., "weight_learner": ...}``, as MONAI's
``CheckpointSaver`` writes for several objects, is read too.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

__all__ = ["companion_path", "load_checkpoint", "load_bundle_checkpoint"]


def companion_path(path: str | os.PathLike, name: str) -> Path:
    """The file of module ``name`` saved together with the network checkpoint ``path``:
    ``models/model.pt`` -> ``models/model_weight_learner.pt``."""
    path = Path(path)
    return path.with_name(f"{path.stem}_{name}{path.suffix}")


def _read(path: Path, map_location: str | torch.device) -> dict:
    """The dictionary in ``path`` (tensors only)."""
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:
        raise ValueError(f"checkpoint {path} cannot be read as a state-dict checkpoint: {e}") from e
    if not isinstance(ckpt, dict):
        raise ValueError(f"checkpoint {path} holds a {type(ckpt).__name__}, not a state dict.")
    return ckpt


def _is_nested(ckpt: dict) -> bool:
    """Whether ``ckpt`` maps names to state dicts (MONAI's several-object checkpoint) rather than being one."""
    return bool(ckpt) and all(isinstance(v, dict) for v in ckpt.values())


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu", **modules: nn.Module) -> dict:
    """Loads the checkpoint ``path`` into the first named module and each further module from its companion file,
    e.g. ``load_checkpoint("models/model.pt", model=net, weight_learner=learner)`` reads ``model.pt`` into ``net``
    and ``model_weight_learner.pt`` into ``learner``. A nested ``{name: state_dict}`` file serves every name it has.

    Only tensors are read (``weights_only=True``).

    Returns:
        name -> the state dict loaded into that module.

    Raises:
        FileNotFoundError: no file at ``path``, or a module's companion file is missing.
        ValueError: a file is not a state-dict checkpoint, or does not fit its module's shape.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found; train first or set `ckpt_path` / `ckpt_dir`.")
    main = _read(path, map_location)
    nested = _is_nested(main)
    loaded = {}
    for i, (name, module) in enumerate(modules.items()):
        source = path
        if nested and name in main:
            state = main[name]
        elif i == 0 and not nested:
            state = main
        else:
            source = companion_path(path, name)
            if not source.is_file():
                raise FileNotFoundError(
                    f"checkpoint {source} not found: training writes the {name} beside {path.name}; copy it with "
                    f"{path.name}, or evaluate without the {name}."
                )
            state = _read(source, map_location)
        try:
            module.load_state_dict(state)
        except RuntimeError as e:
            first = str(e).strip().splitlines()
            detail = " ".join(line.strip() for line in first[:3])
            raise ValueError(
                f"checkpoint {source} does not fit the {name}: {detail} ... Was it trained with other network settings "
                "(widths, modalities, `share_encoder`)? Set them as in training, e.g. merge the same override config "
                "(demo.json) after this one."
            ) from e
        loaded[name] = state
    return loaded


def load_bundle_checkpoint(
    path: str | os.PathLike, map_location: str | torch.device = "cpu", **modules: nn.Module
) -> dict:
    """:func:`load_checkpoint` for a bundle config's ``initialize``: a checkpoint that is missing or does not fit
    ends the run with its one-line message (``error: checkpoint ... not found; train first ...``), not with the
    traceback of the config expression that called it.

    Raises:
        SystemExit: with the message of :func:`load_checkpoint`'s ``FileNotFoundError`` or ``ValueError``.
    """
    try:
        return load_checkpoint(path, map_location, **modules)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"error: {e}") from None
