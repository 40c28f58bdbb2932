"""What a new user meets with bad input or settings: errors at the start that name the file and case, nothing
good overwritten, inference that predicts every good case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from metakd_ext.data import stack_brats_case

from .conftest import CHANNELS, TINY, config_list, monai_bundle_run, read_csv_rows

pytestmark = pytest.mark.slow


def _train(repo_root: Path, data: Path, tmp_path: Path, **overrides: str):
    settings = {
        **TINY,
        "dataset_dir": str(data),
        "datalist": str(data / "datalist.json"),
        "output_dir": str(tmp_path / "runs"),
        "ckpt_dir": str(tmp_path / "models"),
        **overrides,
    }
    return monai_bundle_run(repo_root, config_list("train.json"), settings)


def _last_line(result) -> str:
    return result.stderr.strip().splitlines()[-1]


def _training_case(data: Path) -> str:
    return json.loads((data / "datalist.json").read_text())["training"][0]["case"]


def _rewrite(path: Path, change) -> None:
    img = nib.load(path)
    array = np.asarray(img.dataobj).astype(np.float32)
    nib.save(nib.Nifti1Image(change(array), img.affine), path)


def test_nan_volume_is_an_error_naming_case_and_file_and_keeps_the_model(demo_copy, tmp_path, repo_root) -> None:
    case = _training_case(demo_copy)
    path = demo_copy / case / f"{case}_t1ce.nii.gz"
    _rewrite(path, lambda a: np.full_like(a, np.nan))
    models = tmp_path / "models"
    models.mkdir()
    (models / "model.pt").write_bytes(b"an earlier, good model")
    result = _train(repo_root, demo_copy, tmp_path)
    assert result.returncode == 1  # an error, not an abort
    assert _last_line(result).startswith(f"error: ValueError: case {case}: the t1ce image of {path} has ")
    assert "NaN or infinite voxels" in _last_line(result)
    assert (models / "model.pt").read_bytes() == b"an earlier, good model"


def test_label_on_another_grid_is_an_error_naming_the_label_file(demo_copy, tmp_path, repo_root) -> None:
    case = _training_case(demo_copy)
    path = demo_copy / case / f"{case}_seg.nii.gz"
    shape = nib.load(path).shape
    _rewrite(path, lambda a: a[:, : shape[1] - 8])
    result = _train(repo_root, demo_copy, tmp_path)
    assert result.returncode == 1
    cropped = (shape[0], shape[1] - 8, shape[2])
    assert _last_line(result) == (
        f"error: ValueError: case {case}: the label file {path} is not on the grid of the case's images (shape "
        f"{cropped} against {tuple(shape)}); a label must lie on its images' grid. Resample it onto them "
        "(nearest-neighbour), or fix the datalist if it is another case's label."
    )


def test_truncated_file_names_case_and_file(demo_copy, tmp_path, repo_root) -> None:
    case = _training_case(demo_copy)
    path = demo_copy / case / f"{case}_flair.nii.gz"
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    result = _train(repo_root, demo_copy, tmp_path)
    assert result.returncode != 0
    assert _last_line(result).startswith(f"error: ValueError: case {case}: cannot read the flair file {path}")


def test_malformed_datalist_names_the_file(demo_copy, tmp_path, repo_root) -> None:
    datalist = demo_copy / "datalist.json"
    datalist.write_text(datalist.read_text()[:-20])
    result = _train(repo_root, demo_copy, tmp_path)
    assert result.returncode != 0
    assert _last_line(result).startswith(f"error: ValueError: datalist {datalist} is not valid JSON")


def test_batch_larger_than_training_split_fails_at_start(demo_dir, tmp_path, repo_root) -> None:
    result = _train(repo_root, demo_dir, tmp_path, batch_size="8")
    assert result.returncode != 0
    assert _last_line(result) == (
        f"error: ValueError: the training split of datalist {demo_dir / 'datalist.json'} has 3 case(s), fewer than "
        "`batch_size` 8: not one batch would be drawn; pass --batch_size 3 or add cases."
    )
    assert "Loading dataset" not in result.stderr  # before any case is read


def test_unwritable_ckpt_dir_fails_at_start(demo_dir, tmp_path, repo_root) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")  # no folder can be made below it, whoever runs the test
    result = _train(repo_root, demo_dir, tmp_path, ckpt_dir=str(blocker / "models"))
    assert result.returncode == 1
    assert _last_line(result).startswith(f"error: PermissionError: `ckpt_dir` {blocker / 'models'} cannot be written")
    assert "Loading dataset" not in result.stderr


def test_leftover_temporary_checkpoint_is_removed(demo_dir, tmp_path, repo_root) -> None:
    models = tmp_path / "models"
    models.mkdir()
    stale = models / ".model.pt.k2j4h5g6.tmp.pt"
    stale.write_bytes(b"")
    result = _train(repo_root, demo_dir, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not stale.exists() and f"removed {stale}" in result.stdout + result.stderr
    assert sorted(p.name for p in models.iterdir()) == [
        "model.pt",
        "model_final.pt",
        "model_final_weight_learner.pt",
        "model_weight_learner.pt",
        "train_state.pt",
    ]


def _infer(repo_root: Path, ckpt_dir: Path, **overrides: str):
    settings = {
        "roi_size": "[32,32,32]",
        "network_channels": CHANNELS,
        "num_workers": "0",
        "ckpt_path": str(ckpt_dir / "model.pt"),
        **overrides,
    }
    return monai_bundle_run(repo_root, config_list("inference.json"), settings, run_id="run")


def test_inference_predicts_every_usable_case_and_lists_the_others(demo_dir, tmp_path, repo_root, ckpt_dir) -> None:
    inputs = tmp_path / "in"
    names = sorted(p.name for p in demo_dir.iterdir() if p.is_dir())[:3]
    for name in names:
        shutil.copytree(demo_dir / name, inputs / name)
    nan_case, flat_case, stacked = names
    _rewrite(inputs / nan_case / f"{nan_case}_t2.nii.gz", lambda a: np.where(a > 0, np.nan, a))
    _rewrite(inputs / flat_case / f"{flat_case}_t1.nii.gz", lambda a: np.full_like(a, 5.0))
    stack_brats_case(inputs / stacked, inputs / f"{stacked}.NII.GZ")  # beside the case folders, in upper case
    shutil.rmtree(inputs / stacked)
    broken = "Brats18_AAA_Broken"  # sorted first: every file unreadable
    (inputs / broken).mkdir()
    for modality in ("flair", "t1", "t1ce", "t2"):
        (inputs / broken / f"{broken}_{modality}.nii.gz").write_bytes(b"not an image")
    (inputs / "Brats18_NoImages").mkdir()
    (inputs / "Brats18_NoImages" / "Brats18_NoImages_seg.nii.gz").write_bytes(b"")
    predictions = [f"{n}_seg.nii.gz" for n in names]
    for run in range(2):  # into the input folder: the second run must not take the first one's outputs for inputs
        result = _infer(repo_root, ckpt_dir, input_dir=str(inputs), output_dir=str(inputs))
        log = result.stdout + result.stderr
        assert result.returncode == 1, log[-3000:]
        assert sorted(p.name for p in inputs.glob("*_seg.nii.gz")) == predictions, run
        skipped = read_csv_rows(inputs / "skipped.csv")
        assert [r["case"] for r in skipped] == [broken, "Brats18_NoImages"]
        assert skipped[0]["reason"].startswith(f"ValueError: case {broken}: no usable modality image: the flair file ")
        assert "has a label but no modality file" in skipped[1]["reason"]
        assert skipped[0]["files"].split(";")[0] == str((inputs / broken / f"{broken}_flair.nii.gz").resolve())
        assert f"skipped case {broken}: ValueError: case {broken}: no usable modality image" in log
        assert "SkippedCasesError: 2 case(s) could not be predicted (Brats18_AAA_Broken, Brats18_NoImages)" in log
    assert f"case {nan_case}: the t2 image of" in log and "t2 is treated as missing" in log
    assert f"case {nan_case}: modalities flair, t1, t1ce; missing t2" in log
    assert f"case {flat_case}: every voxel of the t1 image" in log
    assert f"case {stacked}: modalities flair, t1, t1ce, t2" in log
    assert "3 file(s) *_seg.nii.gz left out, this run's outputs" in log


def test_inference_of_an_empty_datalist_section_is_an_error(demo_copy, tmp_path, repo_root, ckpt_dir) -> None:
    datalist = demo_copy / "datalist.json"
    content = json.loads(datalist.read_text())
    datalist.write_text(json.dumps({**content, "testing": []}))
    result = _infer(repo_root, ckpt_dir, dataset_dir=str(demo_copy), output_dir=str(tmp_path / "out"))
    assert result.returncode == 1
    assert _last_line(result).startswith(
        f"error: ValueError: datalist {datalist} has no case in section 'testing' to predict (it has training "
    )
    assert "pass --infer_split with a section that holds the cases, or --input_dir" in _last_line(result)


def test_unwritable_inference_output_fails_at_start(demo_dir, tmp_path, repo_root, ckpt_dir) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = monai_bundle_run(
        repo_root,
        config_list("inference.json"),
        {
            "network_channels": CHANNELS,
            "ckpt_path": str(ckpt_dir / "model.pt"),
            "input_dir": str(demo_dir),
            "output_dir": str(blocker / "pred"),
        },
        run_id="run",
    )
    assert result.returncode == 1
    assert _last_line(result).startswith("error: PermissionError: `output_dir` ")
    assert "case " not in result.stdout + result.stderr  # before any case is read
