"""What the MONAI model zoo's CI (Project-MONAI/model-zoo, ``ci/verify_bundle.py``) checks for a bundle, on ours:
the files a bundle must have, its metadata, the inference workflow's properties, ``verify_net_in_out`` and
``ckpt_export`` of the network with the checkpoint's weights, and that the exported TorchScript model predicts a
case with a missing modality as the eager network does.

The zoo passes ``configs/inference.json`` alone, and so do these checks (that the network and preprocessing there
stay ``train.json``'s: ``tests/bundles/test_inference_configs.py``). ``verify_net_in_out`` feeds one ``image`` tensor;
the classifiers take a dictionary of modalities (images and tables), so for them the same check is done input by
input from the metadata (the zoo lists such bundles in ``exclude_verify_shape_list``). MONAI's inference properties
require an ``inferer``, which the classifiers' evaluation has not (it encodes a subject once and classifies it under
each subset); the zoo checks properties only of bundles with ``supported_apps``, and their train workflows' are
checked in their own tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from monai.bundle import ConfigParser, ConfigWorkflow, ckpt_export, verify_net_in_out

from metakd_ext.data import find_inference_inputs

from .conftest import BUNDLES

pytestmark = pytest.mark.slow

BUNDLE_NAMES = ["metakd_adni", "metakd_avmnist", "metakd_brats"]
FIELDS = [
    "version",
    "changelog",
    "monai_version",
    "pytorch_version",
    "numpy_version",
    "required_packages_version",
    "task",
    "description",
    "authors",
    "copyright",
    "network_data_format",
]
"""Top-level fields the model zoo's metadata schema requires."""
IO_FIELDS = ["type", "format", "num_channels", "spatial_shape", "dtype", "value_range"]


def _config_files(bundle: Path) -> list[str]:
    """The inference workflow's configs, as the zoo passes them: ``inference.json`` alone."""
    return [str(bundle / "configs" / "inference.json")]


def _copy(bundle: str, tmp_path: Path) -> Path:
    """The bundle without models or outputs, as the zoo has it."""
    target = tmp_path / bundle
    shutil.copytree(BUNDLES / bundle, target, ignore=shutil.ignore_patterns("models", "runs", "eval", "pred*"))
    return target


def _fake_weights(bundle: Path) -> Path:
    """``models/model.pt`` from the config's network, as the zoo's ``_produce_fake_weights`` makes it."""
    parser = ConfigParser()
    parser.read_config(_config_files(bundle))
    parser.read_meta(str(bundle / "configs" / "metadata.json"))
    parser["bundle_root"] = str(bundle)
    torch.manual_seed(0)
    path = bundle / "models" / "model.pt"
    path.parent.mkdir(exist_ok=True)
    torch.save(parser.get_parsed_content("network_def").state_dict(), path)
    return path


@pytest.mark.parametrize("bundle", BUNDLE_NAMES)
def test_files_and_metadata(bundle: str) -> None:
    root = BUNDLES / bundle
    for name in ("configs/metadata.json", "configs/inference.json", "LICENSE", "docs/README.md"):
        assert (root / name).is_file(), name
    meta = json.loads((root / "configs" / "metadata.json").read_text())
    assert [f for f in FIELDS if f not in meta] == []
    assert meta["version"] in meta["changelog"]
    assert "optional_packages_version" not in meta  # deprecated: MONAI 1.6 replaces the requirements with it
    assert "metakd-monai" in meta["required_packages_version"]
    assert all(isinstance(v, float) and v > 0 for v in meta["eval_metrics"].values()), meta["eval_metrics"]
    for kind in ("inputs", "outputs"):
        for name, io in meta["network_data_format"][kind].items():
            assert [f for f in IO_FIELDS if f not in io] == [], f"{kind}.{name}"


def test_inference_properties_brats(tmp_path: Path, demo_dir: Path) -> None:
    root = _copy("metakd_brats", tmp_path)
    _fake_weights(root)
    workflow = ConfigWorkflow(
        config_file=_config_files(root),
        meta_file=str(root / "configs" / "metadata.json"),
        logging_file=str(root / "configs" / "logging.conf"),
        workflow_type="inference",
        bundle_root=str(root),
        dataset_dir=str(demo_dir),
    )
    workflow.initialize()
    assert not workflow.check_properties()


def test_verify_net_in_out_brats(tmp_path: Path) -> None:
    root = _copy("metakd_brats", tmp_path)
    verify_net_in_out(
        net_id="network_def",
        meta_file=str(root / "configs" / "metadata.json"),
        config_file=_config_files(root),
        bundle_root=str(root),
    )


@pytest.mark.parametrize("bundle", ["metakd_adni", "metakd_avmnist"])
def test_classifier_inputs_and_outputs_match_the_metadata(bundle: str, tmp_path: Path) -> None:
    root = _copy(bundle, tmp_path)
    parser = ConfigParser()
    parser.read_config(_config_files(root))
    parser.read_meta(str(root / "configs" / "metadata.json"))
    parser["bundle_root"] = str(root)
    net = parser.get_parsed_content("network_def").eval()
    io = parser["_meta_"]["network_data_format"]
    x = {
        name: torch.rand(1, spec["num_channels"], *spec["spatial_shape"])
        for name, spec in io["inputs"].items()
        if name != "modality_mask"
    }
    with torch.no_grad():
        out = net(x)
    pred = io["outputs"]["pred"]
    assert out.shape == (1, pred["num_channels"], *pred["spatial_shape"])
    assert str(out.dtype) == f"torch.{pred['dtype']}"


def _brats_case(brats18_dir: Path, tmp_path: Path, config_files: list[str]) -> torch.Tensor:
    """(1, 4, 64, 64, 64): the centre of a real case preprocessed by inference.json, t1ce missing."""
    case = sorted(p for p in brats18_dir.iterdir() if p.is_dir())[0]
    folder = tmp_path / "cases" / case.name
    shutil.copytree(case, folder)
    (folder / f"{case.name}_t1ce.nii.gz").unlink()
    parser = ConfigParser()
    parser.read_config(config_files)
    image = parser.get_parsed_content("preprocessing")(find_inference_inputs(tmp_path / "cases")[0])["image"]
    centre = [s // 2 for s in image.shape[1:]]
    crop = tuple(slice(c - 32, c + 32) for c in centre)
    x = torch.as_tensor(np.asarray(image[(slice(None), *crop)])).unsqueeze(0).float()
    assert x.shape == (1, 4, 64, 64, 64) and not x[0, 2].any() and x[0, 0].any()
    return x


def test_ckpt_export_brats_predicts_a_missing_modality_as_eager(
    brats18_dir: Path, tmp_path: Path, repo_root: Path
) -> None:
    root = _copy("metakd_brats", tmp_path)
    weights = _fake_weights(root)
    exported = root / "models" / "model.ts"
    command = [sys.executable, "-m", "monai.bundle", "ckpt_export", "network_def", "--filepath", str(exported)]
    command += ["--ckpt_file", str(weights), "--meta_file", str(root / "configs" / "metadata.json")]
    command += ["--config_file", str(root / "configs" / "inference.json"), "--bundle_root", str(root)]
    result = subprocess.run(command, cwd=repo_root, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    scripted = torch.jit.load(str(exported))
    parser = ConfigParser()
    parser.read_config(_config_files(root))
    net = parser.get_parsed_content("network_def").eval()
    net.load_state_dict(torch.load(weights, weights_only=True))
    x = _brats_case(brats18_dir, tmp_path, _config_files(root))
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), net(x), rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(scripted(x[..., :32]), net(x[..., :32]), rtol=1e-4, atol=1e-4)


def test_ckpt_export_adni_predicts_a_missing_modality_as_eager(adni_demo_dir: Path, tmp_path: Path) -> None:
    root = _copy("metakd_adni", tmp_path)
    weights = _fake_weights(root)
    configs = _config_files(root)
    ckpt_export(
        net_id="network_def",
        filepath=str(root / "models" / "model.ts"),
        ckpt_file=str(weights),
        meta_file=str(root / "configs" / "metadata.json"),
        config_file=configs,
        bundle_root=str(root),
    )
    scripted = torch.jit.load(str(root / "models" / "model.ts"))
    parser = ConfigParser()
    parser.read_config(configs)
    parser.update({"bundle_root": str(root), "dataset_dir": str(adni_demo_dir), "device": "$torch.device('cpu')"})
    net = parser.get_parsed_content("network_def").eval()
    net.load_state_dict(torch.load(weights, weights_only=True))
    training = ConfigParser()  # the demo's validation subjects, as training reads them
    training.read_config(str(root / "configs" / "train.json"))
    training.update({"bundle_root": str(root), "dataset_dir": str(adni_demo_dir)})
    dataset = training.get_parsed_content("validate#dataset")
    batch = torch.utils.data.default_collate([dataset[i] for i in range(4)])
    x = {m: batch[m].float() for m in parser.get_parsed_content("modalities")}
    x["pet"] = torch.zeros_like(x["pet"])
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), net(x), rtol=1e-4, atol=1e-4)
