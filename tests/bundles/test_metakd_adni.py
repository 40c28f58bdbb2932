"""The ADNI bundle end to end on demo subjects, from the repository root: train, reload, evaluate, infer."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
import torch
from monai.bundle import ConfigParser

from metakd_ext.utils import all_subsets, load_checkpoint

from .conftest import (
    BUNDLES,
    config_list,
    monai_bundle_run,
    read_csv_rows,
    run_bundle,
    train_workflow_missing_properties,
)

pytestmark = pytest.mark.slow

BUNDLE = BUNDLES / "metakd_adni"
CONFIGS = BUNDLE / "configs"
MODALITIES = ["mri", "pet", "clinical", "csf", "genetic"]
TINY = {
    "image_size": "[16,16,16]",
    "image_channels": "[4,8]",
    "tabular_hidden": "[8]",
    "feature_size": "8",
    "epochs": "2",
    "val_interval": "1",
    "batch_size": "4",
    "num_workers": "0",
    "meta_interval": "2",
    "meta_warmup_interval": "2",
    "meta_steps": "1",
    "missing_warmup_iters": "2",
}
"""Top-level overrides that make an ADNI bundle run take seconds on a CPU."""


@pytest.fixture(scope="module")
def trained(adni_demo_dir: Path, tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> dict[str, str]:
    """Overrides of a tiny model trained by the bundle's train.json (run once for the module)."""
    out = tmp_path_factory.mktemp("adni_run")
    overrides = {**TINY, "dataset_dir": str(adni_demo_dir), "ckpt_dir": str(out / "models"), "output_dir": str(out)}
    result = monai_bundle_run(
        repo_root, config_list("train.json", bundle="metakd_adni"), overrides, bundle="metakd_adni"
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "val_auc" in result.stderr + result.stdout
    assert (out / "models" / "model.pt").is_file()
    return overrides


def test_checkpoint_reloads_into_a_fresh_network(trained: dict[str, str], adni_demo_dir: Path) -> None:
    parser = ConfigParser()
    parser.read_config(str(CONFIGS / "train.json"))
    parser.update({k: json.loads(v) if v.startswith("[") or v.isdigit() else v for k, v in trained.items()})
    parser.update({"device": "$torch.device('cpu')"})
    net, learner = parser.get_parsed_content("network"), parser.get_parsed_content("weight_learner")
    ckpt = load_checkpoint(Path(trained["ckpt_dir"]) / "model.pt", model=net, weight_learner=learner)
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in ckpt["model"].items())
    assert learner.weights().shape == (5,)


def test_evaluate_every_subset(trained: dict[str, str], tmp_path: Path, repo_root: Path) -> None:
    out = tmp_path / "eval"
    result = monai_bundle_run(
        repo_root,
        config_list("train.json", "evaluate.json", bundle="metakd_adni"),
        {**trained, "output_dir": str(out)},
        run_id="evaluating",
        bundle="metakd_adni",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    rows = read_csv_rows(out / "per_subject.csv")
    columns = ["subject", "split", "subset", "available", "label", "prob_CN", "prob_MCI", "prob_AD", "predicted"]
    assert list(rows[0]) == columns
    assert {r["split"] for r in rows} == {"testing"}  # held out by default
    for r in rows:
        assert set(r["subset"].split("+")) <= set(r["available"].split("+"))
        assert sum(float(r[f"prob_{c}"]) for c in ("CN", "MCI", "AD")) == pytest.approx(1.0, abs=1e-4)
    summary = read_csv_rows(out / "summary.csv")
    assert [s["subset"] for s in summary] == [*all_subsets(MODALITIES), "mean over subsets"]
    assert list(summary[0]) == ["subset", "subjects", "accuracy", "balanced_accuracy", "macro_f1", "macro_auc"]
    markdown = (out / "summary.md").read_text()
    assert (out / "summary.png").stat().st_size > 0 and "Modality weights" in markdown
    assert "held-out `testing` split" in markdown
    assert set(json.loads((out / "modality_weights.json").read_text())) == set(MODALITIES)


def test_inference_writes_probabilities_for_every_usable_subject(
    trained: dict[str, str], adni_demo_dir: Path, tmp_path: Path, repo_root: Path
) -> None:
    subjects = read_csv_rows(adni_demo_dir / "subjects.csv")
    unlabelled = tmp_path / "new.csv"
    broken = tmp_path / "broken_mri.nii.gz"
    broken.write_bytes(b"not an image")
    bad_rows = [{**subjects[6], "subject": "BadAge", "age": "sixty"}, {**subjects[7], "subject": "BadMRI"}]
    with unlabelled.open("w", newline="") as f:  # a clinic's CSV: no diagnosis column, image paths absolute
        fields = [c for c in subjects[0] if c != "diagnosis"]
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for i, s in enumerate(subjects[:6]):
            writer.writerow({**s, **{m: str(adni_demo_dir / s[m]) for m in ("mri", "pet") if s[m]}})
            if i in (1, 3):  # a bad row in the middle of a batch: the subjects after it are still predicted
                writer.writerow({**bad_rows[i // 2], "mri": str(broken), "pet": ""})
    out = tmp_path / "pred"
    overrides = {
        k: v
        for k, v in trained.items()
        if k
        in (
            "image_size",
            "image_channels",
            "tabular_hidden",
            "feature_size",
            "batch_size",
            "num_workers",
            "dataset_dir",
        )
    }
    overrides.update(
        {"input_csv": str(unlabelled), "output_dir": str(out), "ckpt_path": str(Path(trained["ckpt_dir"]) / "model.pt")}
    )
    result = monai_bundle_run(
        repo_root,
        config_list("inference.json", bundle="metakd_adni"),
        overrides,
        run_id="run",
        bundle="metakd_adni",
    )
    assert result.returncode == 1, result.stderr[-4000:]
    assert "2 case(s) could not be predicted (BadAge, BadMRI)" in result.stderr
    skipped = read_csv_rows(out / "skipped.csv")
    assert [r["case"] for r in skipped] == ["BadAge", "BadMRI"]
    assert "age = 'sixty' is not a number" in skipped[0]["reason"]
    assert str(broken) in skipped[1]["reason"] and skipped[1]["files"] == str(broken)
    rows = read_csv_rows(out / "predictions.csv")
    assert [r["subject"] for r in rows] == [s["subject"] for s in subjects[:6]]
    assert list(rows[0]) == ["subject", "available", "prob_CN", "prob_MCI", "prob_AD", "predicted"]
    for r, s in zip(rows, subjects):
        assert ("pet" in r["available"].split("+")) == bool(s["pet"])
        assert r["predicted"] in ("CN", "MCI", "AD")


def test_inference_with_a_checkpoint_of_another_shape_is_a_clear_error(
    trained: dict[str, str], tmp_path: Path, repo_root: Path
) -> None:
    overrides = {"dataset_dir": trained["dataset_dir"], "output_dir": str(tmp_path), "num_workers": "0"}
    overrides["ckpt_path"] = str(Path(trained["ckpt_dir"]) / "model.pt")
    result = monai_bundle_run(
        repo_root,
        config_list("inference.json", bundle="metakd_adni"),
        overrides,
        run_id="run",
        bundle="metakd_adni",
    )
    assert result.returncode != 0
    assert "does not fit the model" in result.stderr and "override config" in result.stderr
    assert not (tmp_path / "predictions.csv").exists()


@pytest.mark.xdist_group("multi_process")
def test_torchrun_two_cpu_processes(adni_demo_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    overrides = {
        **TINY,
        "dataset_dir": str(adni_demo_dir),
        "ckpt_dir": str(tmp_path / "models"),
        "output_dir": str(tmp_path),
    }
    result = run_bundle(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node=2",
            "--master_port=29527",
            "-m",
            "monai.bundle",
            "run",
            "training",
            "--config_file",
            config_list("train.json", "multi_gpu_train.json", bundle="metakd_adni"),
            "--bundle_root",
            str(BUNDLE),
            "--logging_file",
            str(CONFIGS / "logging.conf"),
        ],
        repo_root,
        overrides,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert (tmp_path / "models" / "model.pt").is_file()


def test_check_properties_is_empty(adni_demo_dir: Path) -> None:
    assert not train_workflow_missing_properties("metakd_adni", adni_demo_dir)


def test_lckd_trains_and_evaluates(adni_demo_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    overrides = {
        **{k: v for k, v in TINY.items() if not k.startswith("meta_")},
        "teacher_election_interval": "3",
        "dataset_dir": str(adni_demo_dir),
        "ckpt_dir": str(tmp_path / "models"),
        "output_dir": str(tmp_path),
    }
    result = monai_bundle_run(
        repo_root, config_list("train.json", "lckd.json", bundle="metakd_adni"), overrides, bundle="metakd_adni"
    )
    assert result.returncode == 0, result.stderr[-4000:]
    log = result.stdout + result.stderr
    assert "teacher election (diagnosis mri" in log and "teachers " in log
    overrides["output_dir"] = str(tmp_path / "eval")
    result = monai_bundle_run(
        repo_root,
        config_list("train.json", "lckd.json", "evaluate.json", bundle="metakd_adni"),
        {**overrides, "subsets": "['mri','mri+pet']"},
        run_id="evaluating",
        bundle="metakd_adni",
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert (tmp_path / "eval" / "summary.md").is_file()


def test_compare_command_trains_evaluates_and_tabulates(adni_demo_dir: Path, tmp_path: Path) -> None:
    from metakd_ext.cli import main

    overrides = {k: v for k, v in TINY.items() if not k.startswith("meta_")}
    overrides.update({"teacher_election_interval": "3", "subsets": "['mri','pet','mri+pet']"})
    main(
        [
            "compare",
            "--bundle_root",
            str(BUNDLE),
            "--dataset_dir",
            str(adni_demo_dir),
            "--output_dir",
            str(tmp_path),
            "--methods",
            "[nokd,lckd]",
            "--seeds",
            "[0,1]",
            "--folds",
            "2",
            "--overrides",
            str(overrides),
        ]
    )
    markdown = (tmp_path / "comparison.md").read_text()
    assert "| subset | nokd | lckd |" in markdown and "| mri+pet |" in markdown and "**" in markdown
    assert "## macro AUC" in markdown and "- lckd, seed 1, fold 1:" in markdown
    assert "2-fold cross-validation" in markdown and "| accuracy | lckd |" in markdown
    assert "| nokd | 4 of 4 |" in markdown and "| lckd | 4 of 4 |" in markdown
    assert sorted(p.name for p in (tmp_path / "lckd" / "fold1").iterdir()) == ["seed0", "seed1"]
    assert sorted(p.name for p in (tmp_path / "folds").iterdir()) == ["fold0.json", "fold1.json"]
