"""A training run killed in the middle and resumed with --resume true ends as the uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from metakd_ext.utils import companion_path

from .conftest import BUNDLE, TINY, config_list, monai_bundle_run

pytestmark = pytest.mark.slow

EPOCHS = 5


def _overrides(data: Path, out: Path, **extra: str) -> dict[str, str]:
    return {
        **TINY,
        "epochs": str(EPOCHS),
        "val_interval": "2",
        "dataset_dir": str(data),
        "datalist": str(data / "datalist.json"),
        "output_dir": str(out / "runs"),
        "ckpt_dir": str(out / "models"),
        **extra,
    }


def _kill_after(
    args: list[str], cwd: Path, marker: str, timeout: float = 600, sig: signal.Signals = signal.SIGKILL
) -> str:
    """Starts a bundle run, sends it ``sig`` once ``marker`` appears in its log; returns its whole log."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    for line in proc.stdout:
        log.append(line)
        if marker in line or time.monotonic() > deadline:
            os.kill(proc.pid, sig)
            break
    log += proc.stdout.readlines()
    proc.wait()
    return "".join(log)


def _weights(path: Path) -> dict[str, torch.Tensor]:
    """The network's and the weight learner's tensors of a checkpoint."""
    learner = companion_path(path, "weight_learner")
    return {**torch.load(path, weights_only=True), **torch.load(learner, weights_only=True)}


def test_killed_run_resumes_to_the_same_weights(demo_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    whole = monai_bundle_run(repo_root, config_list("train.json"), _overrides(demo_dir, tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr[-3000:]

    killed = tmp_path / "killed"
    flat = [x for k, v in _overrides(demo_dir, killed).items() for x in (f"--{k}", v)]
    args = [
        sys.executable,
        "-m",
        "monai.bundle",
        "run",
        "training",
        "--config_file",
        config_list("train.json"),
        "--bundle_root",
        str(BUNDLE),
        "--logging_file",
        str(BUNDLE / "configs" / "logging.conf"),
        *flat,
    ]
    log = _kill_after(args, repo_root, "epoch 3: saved the training state")
    assert "epoch 3: saved the training state" in log
    assert not (killed / "models" / "model_final.pt").exists()  # it did not finish

    resumed = monai_bundle_run(repo_root, config_list("train.json"), _overrides(demo_dir, killed, resume="True"))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    text = resumed.stdout + resumed.stderr
    assert "resumed from" in text and "epoch 3, iteration 3; continuing to epoch 5" in text
    a, b = _weights(tmp_path / "whole" / "models" / "model_final.pt"), _weights(killed / "models" / "model_final.pt")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])][:5]
    best_a = _weights(tmp_path / "whole" / "models" / "model.pt")
    best_b = _weights(killed / "models" / "model.pt")
    assert all(torch.equal(best_a[k], best_b[k]) for k in best_a)

    again = monai_bundle_run(repo_root, config_list("train.json"), _overrides(demo_dir, killed, epochs="1"))
    assert again.returncode == 0, again.stderr[-3000:]
    moved = list((killed / "models" / "previous").glob("*/model_final.pt"))
    assert len(moved) == 1 and all(torch.equal(b[k], t) for k, t in _weights(moved[0]).items())
    assert "held an earlier run's" in again.stdout + again.stderr

    kept = _weights(killed / "models" / "model.pt")  # a fresh run stopped before its first save keeps this model
    log = _kill_after(args, repo_root, "Iter: 1/", sig=signal.SIGTERM)
    assert "received SIGTERM at epoch 1, iteration 1: stopping; this run saved no training state yet" in log, log[
        -2000:
    ]
    assert all(torch.equal(kept[k], t) for k, t in _weights(killed / "models" / "model.pt").items())
