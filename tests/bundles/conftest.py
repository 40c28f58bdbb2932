from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from monai.bundle import ConfigParser, ConfigWorkflow

from metakd_ext.networks import ModalityWeightLearner, MultiEncoderUNet
from metakd_ext.utils import companion_path

BUNDLES = Path(__file__).resolve().parents[2] / "bundles"
BUNDLE = BUNDLES / "metakd_brats"
CONFIGS = BUNDLE / "configs"

TINY = {
    "roi_size": "[32,32,32]",
    "network_channels": "[4,8,16]",
    "epochs": "1",
    "val_interval": "1",
    "batch_size": "2",
    "num_workers": "0",
    "meta_interval": "1",
    "meta_warmup_interval": "1",
    "meta_steps": "1",
    "missing_warmup_iters": "1",
    "sw_batch_size": "4",
    "sw_overlap": "0.25",
}
"""Top-level overrides that make a bundle run take seconds on a CPU."""
CHANNELS = "[4,8,16]"
"""The widths of the untrained network of :func:`ckpt_dir`."""


def read_csv_rows(path: Path) -> list[dict]:
    """The rows of a CSV an evaluation or inference wrote, as dicts."""
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def config_list(*names: str, bundle: str = "metakd_brats") -> str:
    return "[" + ",".join(f"'{BUNDLES / bundle / 'configs' / n}'" for n in names) + "]"


def run_bundle(
    args: list[str], cwd: Path, overrides: dict[str, str], timeout: int = 900
) -> subprocess.CompletedProcess:
    """Runs ``python -m monai.bundle run ...`` (or a given launcher) from ``cwd`` with ``--key value`` overrides."""
    flat = [item for k, v in overrides.items() for item in (f"--{k}", v)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [*args, *flat], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def monai_bundle_run(
    cwd: Path, config_files: str, overrides: dict[str, str], run_id: str = "training", bundle: str = "metakd_brats"
) -> subprocess.CompletedProcess:
    """``python -m monai.bundle run <run_id>`` of a bundle's ``config_files`` from ``cwd``."""
    return run_bundle(
        [
            sys.executable,
            "-m",
            "monai.bundle",
            "run",
            run_id,
            "--config_file",
            config_files,
            "--bundle_root",
            str(BUNDLES / bundle),
            "--logging_file",
            str(BUNDLES / bundle / "configs" / "logging.conf"),
        ],
        cwd,
        overrides,
    )


def train_workflow_missing_properties(bundle: str, dataset_dir: Path) -> list:
    """The train properties MONAI's ``ConfigWorkflow.check_properties`` finds missing in a bundle's train.json."""
    configs = BUNDLES / bundle / "configs"
    workflow = ConfigWorkflow(
        config_file=str(configs / "train.json"),
        meta_file=str(configs / "metadata.json"),
        logging_file=str(configs / "logging.conf"),
        workflow_type="train",
        bundle_root=str(BUNDLES / bundle),
        dataset_dir=str(dataset_dir),
    )
    workflow.initialize()
    return list(workflow.check_properties() or [])


def tiny_brats_network() -> MultiEncoderUNet:
    """The BraTS bundle's network as its ``train.json`` defines it (topology included), widths :data:`CHANNELS`."""
    parser = ConfigParser()
    parser.read_config(str(BUNDLES / "metakd_brats" / "configs" / "train.json"))
    parser.update({"network_channels": [4, 8, 16], "device": "$torch.device('cpu')"})
    return parser.get_parsed_content("network_def")


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint of an untrained tiny network (widths :data:`CHANNELS`): enough to check what the configs write."""
    out = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    net = tiny_brats_network()
    torch.save(net.state_dict(), out / "model.pt")
    torch.save(ModalityWeightLearner(4).state_dict(), companion_path(out / "model.pt", "weight_learner"))
    return out


@pytest.fixture()
def bundle_dir() -> Path:
    return BUNDLE
