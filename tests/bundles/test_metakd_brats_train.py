from __future__ import annotations

import json
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch
from monai.bundle import ConfigParser
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from metakd_ext.data import write_brats_datalist

from .conftest import CONFIGS, TINY, config_list, monai_bundle_run, run_bundle, train_workflow_missing_properties

pytestmark = pytest.mark.slow


def _outputs(tmp_path: Path, data: Path) -> dict[str, str]:
    return {
        **TINY,
        "dataset_dir": str(data),
        "datalist": str(data / "datalist.json"),
        "output_dir": str(tmp_path / "runs"),
        "ckpt_dir": str(tmp_path / "models"),
    }


def _assert_trained(result, tmp_path: Path, overrides: dict[str, str]) -> None:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert "val_dice_wt" in log and "modality weights: flair" in log and "best model:" in log
    assert "Converting a tensor with requires_grad=True" not in log and "ignoring non-scalar output" not in log
    assert " s/it, epoch 0:00:00 left, run " in log and " lr: " in log and "validation: case 1/" in log
    ckpt = torch.load(tmp_path / "models" / "model.pt", weights_only=True)  # the network's state dict
    assert (tmp_path / "models" / "model_weight_learner.pt").is_file()
    parser = ConfigParser()
    parser.read_config(str(CONFIGS / "train.json"))
    parser["network_channels"] = eval(overrides["network_channels"])
    fresh = parser.get_parsed_content("network_def")
    fresh.load_state_dict(ckpt)
    x = torch.rand(1, 4, 32, 32, 32)
    x[:, 2] = 0
    assert fresh.eval()(x).shape == (1, 3, 32, 32, 32)
    tags = set()
    for events in (tmp_path / "runs").glob("events.out.tfevents*"):
        accumulator = EventAccumulator(str(events))
        accumulator.Reload()
        tags |= set(accumulator.Tags()["scalars"])
    assert {"train/loss", "train/task_loss", "train/kd_loss", "train/lr", "val_mean_dice"} <= tags


def test_train_from_repo_root_on_demo(demo_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    overrides = _outputs(tmp_path, demo_dir)
    result = monai_bundle_run(repo_root, config_list("train.json"), overrides)
    _assert_trained(result, tmp_path, overrides)


def test_one_epoch_smoke_run_leaves_a_model_that_evaluates(demo_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    overrides = _outputs(tmp_path, demo_dir)
    del overrides["val_interval"], overrides["missing_warmup_iters"]  # defaults: no validation in 1 epoch, warm-up
    result = monai_bundle_run(repo_root, config_list("train.json"), overrides)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert "holds the final weights (epoch 1): no validation ran" in log
    best = torch.load(tmp_path / "models" / "model.pt", weights_only=True)
    final = torch.load(tmp_path / "models" / "model_final.pt", weights_only=True)
    assert all(torch.equal(best[k], v) for k, v in final.items())
    out = tmp_path / "eval"
    result = monai_bundle_run(
        repo_root,
        config_list("train.json", "evaluate.json"),
        {**overrides, "output_dir": str(out), "subsets": "['flair+t1+t1ce+t2']"},
        run_id="run",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "held-out `testing` split" in (out / "summary.md").read_text()


def test_train_on_real_brats(brats18_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    data = tmp_path / "brats"
    write_brats_datalist(brats18_dir, tmp_path / "datalist.json", val_fraction=0.125, num_meta=1, seed=0)
    overrides = _outputs(tmp_path, brats18_dir)
    overrides.update({"datalist": str(tmp_path / "datalist.json"), "roi_size": "[64,64,64]", "sw_overlap": "0"})
    result = monai_bundle_run(repo_root, config_list("train.json"), overrides)
    _assert_trained(result, tmp_path, overrides)
    assert not data.exists()


@pytest.mark.xdist_group("multi_process")
def test_torchrun_two_cpu_processes(demo_dir: Path, tmp_path: Path, repo_root: Path, bundle_dir: Path) -> None:
    overrides = _outputs(tmp_path, demo_dir)
    result = run_bundle(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node=2",
            "--master_port=29517",
            "-m",
            "monai.bundle",
            "run",
            "training",
            "--config_file",
            config_list("train.json", "multi_gpu_train.json"),
            "--bundle_root",
            str(bundle_dir),
            "--logging_file",
            str(CONFIGS / "logging.conf"),
        ],
        repo_root,
        overrides,
    )
    _assert_trained(result, tmp_path, overrides)


def test_lckd_with_torchrun_two_cpu_processes(
    demo_dir: Path, tmp_path: Path, repo_root: Path, bundle_dir: Path
) -> None:
    overrides = {**_outputs(tmp_path, demo_dir), "epochs": "2", "teacher_election_interval": "1"}
    for key in ("meta_interval", "meta_warmup_interval", "meta_steps"):
        del overrides[key]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29518"]
    command = [*launcher, "-m", "monai.bundle", "run", "training", "--bundle_root", str(bundle_dir)]
    command += ["--config_file", config_list("train.json", "lckd.json", "multi_gpu_train.json")]
    command += ["--logging_file", str(CONFIGS / "logging.conf")]
    result = run_bundle(command, repo_root, overrides)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    elections = [line for line in log.splitlines() if "teacher election (TC flair" in line]
    assert len(elections) == 2  # iterations 1 and 2, reported by the first process only
    teachers = torch.load(tmp_path / "models" / "model_final_weight_learner.pt", weights_only=True)["teachers"]
    names = [m for m, t in zip(("flair", "t1", "t1ce", "t2"), teachers.tolist()) if t]
    assert elections[-1].endswith(f"teachers {', '.join(names)}")


def test_check_properties_is_empty(demo_dir: Path) -> None:
    assert not train_workflow_missing_properties("metakd_brats", demo_dir)


def _preprocess(data: Path, case: str) -> None:
    parser = ConfigParser()
    parser.read_config(str(CONFIGS / "train.json"))
    parser.update({"dataset_dir": str(data), "roi_size": [32, 32, 32]})
    entry = {"case": case, "label": str(data / case / f"{case}_seg.nii.gz")}
    entry.update({m: str(data / case / f"{case}_{m}.nii.gz") for m in ("flair", "t1", "t1ce", "t2")})
    parser.get_parsed_content("train#preprocessing")(entry)


def _first_case(data: Path) -> str:
    return sorted(p.name for p in data.iterdir() if p.is_dir())[0]


def test_bad_input_different_shapes(demo_copy: Path) -> None:
    case = _first_case(demo_copy)
    path = demo_copy / case / f"{case}_t1ce.nii.gz"
    img = nib.load(path)
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj)[:, :, :-5], img.affine), path)
    with pytest.raises(Exception) as info:
        _preprocess(demo_copy, case)
    assert f"case {case}: the t1ce file {path} and the flair file " in "".join(str(e) for e in _chain(info.value))


def test_bad_input_unknown_label(demo_copy: Path, tmp_path: Path, repo_root: Path) -> None:
    case = _first_case(demo_copy)
    path = demo_copy / case / f"{case}_seg.nii.gz"
    img = nib.load(path)
    seg = np.asarray(img.dataobj).copy()
    seg[seg == 4] = 3
    nib.save(nib.Nifti1Image(seg, img.affine), path)
    with pytest.raises(Exception) as info:
        _preprocess(demo_copy, case)
    assert f"case {case}: label map" in "".join(str(e) for e in _chain(info.value))
    result = monai_bundle_run(repo_root, config_list("train.json"), _outputs(tmp_path, demo_copy))
    assert result.returncode != 0 and f"case {case}: label map" in result.stdout + result.stderr


def test_bad_input_no_cases(tmp_path: Path, repo_root: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_bundle(
        [sys.executable, "-m", "metakd_ext", "datalist", "brats"],
        repo_root,
        {"data_dir": str(empty), "output": str(tmp_path / "d.json")},
    )
    assert result.returncode == 2 and "no BraTS cases found" in result.stderr


def _chain(e: BaseException | None):
    while e is not None:
        yield e
        e = e.__cause__ or e.__context__


@pytest.mark.parametrize("method", ["lckd", "nokd", "uniform"])
def test_method_configs_train_through_the_bundle_runner(
    method: str, demo_dir: Path, tmp_path: Path, repo_root: Path
) -> None:
    overrides = _outputs(tmp_path, demo_dir)
    for key in ("meta_interval", "meta_warmup_interval", "meta_steps"):  # the method configs set them
        del overrides[key]
    overrides.update({"teacher_election_interval": "2", "epochs": "2"})  # one iteration per epoch
    result = monai_bundle_run(repo_root, config_list("train.json", f"{method}.json"), overrides)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert "best model:" in log and "meta_loss" not in log
    learner = torch.load(tmp_path / "models" / "model_weight_learner.pt", weights_only=True)
    if method == "lckd":
        assert log.count("teacher election (TC flair") == 2  # after the first iteration and at iteration 2
        assert learner["teachers"].dtype == torch.bool and learner["teachers"].any()
    else:
        weights = "flair 0.2500, t1 0.2500, t1ce 0.2500, t2 0.2500"
        assert (weights in log) == (method == "uniform")


def test_mlflow_tracking_to_a_local_store(demo_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    overrides = {**_outputs(tmp_path, demo_dir), "epochs": "2", "tracking": "mlflow"}
    result = monai_bundle_run(repo_root, config_list("train.json"), overrides)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    store = tmp_path / "runs" / "mlruns.db"  # MONAI's default: a SQLite store in output_dir
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{store}")
    (run,) = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert run.info.status == "FINISHED" and run.data.params["max_epochs"] == "2"
    weights = {f"modality_weight/{m}" for m in ("flair", "t1", "t1ce", "t2")}
    assert {"train_loss", "lr_group_0", "val_mean_dice", "val_dice_et"} | weights <= set(run.data.metrics)
    assert len(client.get_metric_history(run.info.run_id, "train_loss")) == 2  # one iteration an epoch
    assert len(client.get_metric_history(run.info.run_id, "modality_weight/t1ce")) == 2  # one per epoch
    params = run.data.params  # TrackingParams: the settings a comparison needs, lists as JSON
    assert params["method"] == "metakd" and params["kd_weight"] == "0.1" and params["kd_scales"] == "bottleneck"
    assert json.loads(params["roi_size"]) == [32, 32, 32] and json.loads(params["network_channels"]) == [4, 8, 16]
    assert {"meta_interval", "meta_steps", "meta_mode", "learning_rate", "batch_size", "random_seed", "spacing"} <= set(
        params
    )
    artifacts = [a.path for a in client.list_artifacts(run.info.run_id)]
    assert any(a.startswith("config_") and a.endswith(".json") for a in artifacts), artifacts
