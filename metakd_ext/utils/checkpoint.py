"""Loading of the bundle's state-dict checkpoints."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

__all__ = ["load_checkpoint", "load_bundle_checkpoint"]


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu", **modules: nn.Module) -> dict:
    """Loads ``{name: state_dict}`` from ``path`` into each named module, e.g. ``model=net, weight_learner=learner``.

    Only tensors are read (``weights_only=True``).

    Returns:
        The whole checkpoint dictionary.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not a checkpoint of this bundle, lacks a module, or does not fit its shape.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found; train first or set `ckpt_path` / `ckpt_dir`.")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:
        raise ValueError(f"checkpoint {path} cannot be read as a state-dict checkpoint: {e}") from e
    if not isinstance(ckpt, dict):
        raise ValueError(f"checkpoint {path} holds a {type(ckpt).__name__}, not a dict of state dicts.")
    for name, module in modules.items():
        if name not in ckpt:
            raise ValueError(f"checkpoint {path} has no {name!r} entry (it has {sorted(ckpt)}).")
        try:
            module.load_state_dict(ckpt[name])
        except RuntimeError as e:
            first = str(e).strip().splitlines()
            detail = " ".join(line.strip() for line in first[:3])
            raise ValueError(
                f"checkpoint {path} does not fit the {name}: {detail} ... Was it trained with other network settings "
                "(widths, modalities, `share_encoder`)? Set them as in training, e.g. merge the same override config "
                "(demo.json) after this one."
            ) from e
    return ckpt


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
