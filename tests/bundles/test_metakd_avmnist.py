"""The AV-MNIST bundle end to end through the bundle runner, on a small part of the real spoken and written digits
(``../shared/data/avmnist``; a generated stand-in where they are absent): datalist, train, evaluate, infer, compare."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import torch

from metakd_ext.data import write_avmnist_datalist

from .conftest import (
    BUNDLES,
    config_list,
    monai_bundle_run,
    read_csv_rows,
    run_bundle,
    train_workflow_missing_properties,
)

pytestmark = pytest.mark.slow

BUNDLE = BUNDLES / "metakd_avmnist"
TINY = {
    "image_channels": "[4,8]",
    "audio_channels": "[4,8]",
    "feature_size": "8",
    "epochs": "2",
    "val_interval": "1",
    "batch_size": "8",
    "meta_interval": "2",
    "meta_warmup_interval": "2",
    "meta_steps": "1",
    "missing_warmup_iters": "2",
}
"""Top-level overrides that make an AV-MNIST bundle run take seconds on a CPU."""


def _run(repo_root: Path, names: list[str], overrides: dict[str, str], run_id: str = "training") -> str:
    result = monai_bundle_run(
        repo_root, config_list(*names, bundle="metakd_avmnist"), overrides, run_id=run_id, bundle="metakd_avmnist"
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def avmnist_dir(avmnist_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A datalist of 6 training (3 with audio, 1 for validation) and 3 testing pairs a digit."""
    src = avmnist_source
    out = tmp_path_factory.mktemp("avmnist")
    write_avmnist_datalist(
        str(src / "fsdd"), str(src / "mnist"), str(out / "datalist.json"), audio_rate=0.5, train_per_class=6,
        test_per_class=3, val_per_class=1,
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def trained(avmnist_dir: Path, tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> dict[str, str]:
    """Overrides of a tiny model trained by the bundle's train.json (run once for the module)."""
    out = tmp_path_factory.mktemp("avmnist_run")
    overrides = {**TINY, "dataset_dir": str(avmnist_dir), "ckpt_dir": str(out / "models"), "output_dir": str(out)}
    log = _run(repo_root, ["train.json"], overrides)
    assert "val_accuracy" in log and "modality weights: image" in log
    assert {p.name for p in (out / "models").glob("model*.pt")} >= {"model.pt", "model_weight_learner.pt"}
    return overrides


def test_evaluate_image_audio_and_both(trained: dict[str, str], tmp_path: Path, repo_root: Path) -> None:
    _run(repo_root, ["train.json", "evaluate.json"], {**trained, "output_dir": str(tmp_path)}, run_id="evaluating")
    summary = {row["subset"]: row for row in read_csv_rows(tmp_path / "summary.csv")}
    assert set(summary) == {"image", "audio", "image+audio", "mean over subsets"}
    assert all(row["subjects"] == "30" for row in summary.values())
    assert "held-out `testing` split" in (tmp_path / "summary.md").read_text()


def test_inference_on_image_only_audio_only_and_both(
    trained: dict[str, str], avmnist_dir: Path, tmp_path: Path, repo_root: Path
) -> None:
    pair = json.loads((avmnist_dir / "datalist.json").read_text())["testing"][0]
    image, audio = (str((avmnist_dir / pair[k]).resolve()) for k in ("image", "audio"))
    inputs = tmp_path / "inputs.csv"
    inputs.write_text(f"subject,image,audio\nboth,{image},{audio}\nseen,{image},\nheard,,{audio}\n")
    out = tmp_path / "pred"
    _run(
        repo_root,
        ["inference.json"],
        {**trained, "input_csv": str(inputs), "output_dir": str(out)},
        "run",
    )
    rows = {row["subject"]: row for row in read_csv_rows(out / "predictions.csv")}
    assert {k: rows[k]["available"] for k in rows} == {"both": "image+audio", "seen": "image", "heard": "audio"}
    probs = torch.tensor([[float(rows["both"][f"prob_{d}"]) for d in range(10)]])
    assert torch.isclose(probs.sum(), torch.tensor(1.0), atol=1e-4)
    assert rows["both"]["predicted"] == str(int(probs.argmax()))


def test_unrolled_meta_step_trains(avmnist_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    overrides = {**TINY, "meta_mode": "unrolled", "dataset_dir": str(avmnist_dir), "output_dir": str(tmp_path)}
    log = _run(repo_root, ["train.json"], {**overrides, "ckpt_dir": str(tmp_path / "models")})
    weights = re.findall(r"modality weights: image ([0-9.]+), audio", log)
    assert weights and weights[-1] != "0.5000"  # the bi-level step moved them


def test_torchrun_two_cpu_processes(avmnist_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    configs = config_list("train.json", "multi_gpu_train.json", bundle="metakd_avmnist")
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29531"]
    command = [*launcher, "-m", "monai.bundle", "run", "training", "--config_file", configs]
    command += ["--bundle_root", str(BUNDLE), "--logging_file", str(BUNDLE / "configs" / "logging.conf")]
    overrides = {
        **TINY,
        "dataset_dir": str(avmnist_dir),
        "ckpt_dir": str(tmp_path / "models"),
        "output_dir": str(tmp_path),
    }
    result = run_bundle(command, repo_root, overrides)
    assert result.returncode == 0, result.stderr[-4000:]
    assert (tmp_path / "models" / "model.pt").is_file()


def test_check_properties_is_empty(avmnist_dir: Path) -> None:
    assert not train_workflow_missing_properties("metakd_avmnist", avmnist_dir)


def test_compare_metakd_nokd_and_lckd(avmnist_dir: Path, tmp_path: Path) -> None:
    from metakd_ext.comparison import compare_methods

    overrides = {k: v for k, v in TINY.items() if not k.startswith("meta_")}  # the method configs set them
    overrides["teacher_election_interval"] = "3"
    compare_methods(
        str(BUNDLE), str(avmnist_dir), str(tmp_path), methods=["metakd", "nokd", "lckd"], seeds=[0], overrides=overrides
    )
    markdown = (tmp_path / "comparison.md").read_text()
    assert "| subset | metakd | nokd | lckd |" in markdown and "| image+audio |" in markdown
    assert "teacher election (digit" in (tmp_path / "lckd" / "seed0" / "train.log").read_text()
