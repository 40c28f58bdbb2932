from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from metakd_ext.data import stack_brats_case
from metakd_ext.metrics import dice_score, hd95_score
from metakd_ext.transforms import BratsLabelToRegions

from .conftest import CHANNELS, config_list, monai_bundle_run

pytestmark = pytest.mark.slow

MODALITIES = ("flair", "t1", "t1ce", "t2")


def _evaluate(repo_root: Path, overrides: dict[str, str]):
    return monai_bundle_run(
        repo_root,
        config_list("train.json", "evaluate.json"),
        {"roi_size": "[32,32,32]", "network_channels": CHANNELS, "num_workers": "0", "sw_batch_size": "4", **overrides},
        run_id="run",
    )


def _two_case_datalist(demo_dir: Path, tmp_path: Path) -> Path:
    datalist = json.loads((demo_dir / "datalist.json").read_text())
    cases = (datalist["training"] + datalist["validation"])[:2]
    path = tmp_path / "datalist.json"
    path.write_text(json.dumps({"validation": cases}))
    return path


def _evaluate_two_cases(demo_dir, tmp_path, repo_root, ckpt_dir, **overrides: str) -> Path:
    """Evaluates two demo cases; returns the output folder."""
    out = tmp_path / "eval"
    result = _evaluate(
        repo_root,
        {
            "dataset_dir": str(demo_dir),
            "datalist": str(_two_case_datalist(demo_dir, tmp_path)),
            "ckpt_dir": str(ckpt_dir),
            "output_dir": str(out),
            **overrides,
        },
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def _summary_subsets(out: Path) -> list[str]:
    with (out / "summary.csv").open() as f:
        return [r["subset"] for r in csv.DictReader(f)]


def test_evaluate_three_subsets(demo_dir: Path, tmp_path: Path, repo_root: Path, ckpt_dir: Path):
    out = _evaluate_two_cases(demo_dir, tmp_path, repo_root, ckpt_dir, subsets="['t1ce+t2','flair','flair+t1+t1ce+t2']")
    for name in ("per_case.csv", "summary.csv", "summary.md", "summary.png", "modality_weights.json"):
        assert (out / name).is_file(), name
    with (out / "per_case.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6
    assert {"dice_et", "dice_tc", "dice_wt", "hd95_et", "hd95_tc", "hd95_wt", "dice_et_post"} <= set(rows[0])
    assert not any("/" in r["case"] for r in rows)
    assert _summary_subsets(out) == ["flair", "t1ce+t2", "flair+t1+t1ce+t2", "mean over subsets"]
    markdown = (out / "summary.md").read_text()
    assert "Modality weights: flair" in markdown and "no ET in the ground truth" in markdown


def test_evaluate_all_fifteen(demo_dir: Path, tmp_path: Path, repo_root: Path, ckpt_dir: Path):
    table = _summary_subsets(_evaluate_two_cases(demo_dir, tmp_path, repo_root, ckpt_dir))
    assert len(table) == 16 and table[0] == "flair" and table[14] == "flair+t1+t1ce+t2"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"subsets": "['flair+pd']"}, "unknown modality subset 'flair+pd'"),
        ({"network_channels": "[8,16,32]"}, "does not fit the model"),
    ],
)
def test_evaluate_bad_input(overrides, message, demo_dir, tmp_path, repo_root, ckpt_dir) -> None:
    result = _evaluate(
        repo_root,
        {
            "dataset_dir": str(demo_dir),
            "ckpt_dir": str(ckpt_dir),
            "output_dir": str(tmp_path / "eval"),
            **overrides,
        },
    )
    assert result.returncode != 0 and message in result.stdout + result.stderr


def test_missing_checkpoint_is_one_plain_line(demo_dir, tmp_path, repo_root) -> None:
    result = _evaluate(
        repo_root,
        {"dataset_dir": str(demo_dir), "ckpt_dir": str(tmp_path / "none"), "output_dir": str(tmp_path / "eval")},
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: checkpoint {tmp_path / 'none' / 'model.pt'} not found; train first or set `ckpt_path` / `ckpt_dir`."
    )
    assert "Traceback" not in result.stderr and "load_bundle_checkpoint" not in result.stderr


def test_scores_are_in_mm_on_held_out_cases(demo_dir, tmp_path, repo_root, ckpt_dir) -> None:
    out = tmp_path / "eval"
    result = _evaluate(
        repo_root,
        {
            "dataset_dir": str(demo_dir),
            "ckpt_dir": str(ckpt_dir),
            "output_dir": str(out),
            "subsets": "['flair+t1+t1ce+t2']",
        },
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with (out / "per_case.csv").open() as f:
        rows = list(csv.DictReader(f))
    testing = [c["case"] for c in json.loads((demo_dir / "datalist.json").read_text())["testing"]]
    assert [r["case"] for r in rows] == testing and {r["split"] for r in rows} == {"testing"}
    # 4 mm voxels: a finite HD95 between two non-empty regions is a multiple of 4 mm steps, never below 4
    finite = [float(r[k]) for r in rows for k in ("hd95_tc", "hd95_wt") if 0 < float(r[k]) < 373.13]
    assert finite and min(finite) >= 4.0
    markdown = (out / "summary.md").read_text()
    assert "held-out `testing` split" in markdown and "larger of the two directed 95th percentiles" in markdown


def _infer(repo_root: Path, ckpt_dir: Path, overrides: dict[str, str]):
    return monai_bundle_run(
        repo_root,
        config_list("inference.json"),
        {
            "roi_size": "[64,64,64]",
            "sw_overlap": "0.25",
            "network_channels": CHANNELS,
            "num_workers": "0",
            "sw_batch_size": "4",
            "ckpt_path": str(ckpt_dir / "model.pt"),
            **overrides,
        },
        run_id="run",
    )


def _check_prediction(pred: Path, reference: Path) -> None:
    out, ref = nib.load(pred), nib.load(reference)
    assert out.shape == ref.shape
    assert np.allclose(out.affine, ref.affine)
    assert out.get_data_dtype() == np.uint8
    assert set(np.unique(np.asarray(out.dataobj))) <= {0, 1, 2, 4}


def test_infer_real_case_without_t1ce(brats18_dir, tmp_path, repo_root, ckpt_dir) -> None:
    case = "Brats18_2013_3_1"
    inputs = tmp_path / "in"
    shutil.copytree(brats18_dir / case, inputs / case)
    (inputs / case / f"{case}_t1ce.nii.gz").unlink()
    result = _infer(repo_root, ckpt_dir, {"input_dir": str(inputs), "output_dir": str(tmp_path / "out")})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"case {case}: modalities flair, t1, t2; missing t1ce" in result.stdout + result.stderr
    _check_prediction(tmp_path / "out" / f"{case}_seg.nii.gz", inputs / case / f"{case}_flair.nii.gz")
    pred = np.asarray(nib.load(tmp_path / "out" / f"{case}_seg.nii.gz").dataobj)
    head = np.zeros(pred.shape, bool)
    for m in ("flair", "t1", "t2"):
        head |= np.asarray(nib.load(inputs / case / f"{case}_{m}.nii.gz").dataobj) != 0
    assert pred.any() and not pred[~head].any()  # an untrained network labels much; nothing outside the head

    stacked = tmp_path / "stacked"
    stack_brats_case(inputs / case, stacked / f"{case}.nii.gz")
    result = _infer(repo_root, ckpt_dir, {"input_dir": str(stacked), "output_dir": str(tmp_path / "o2")})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "missing t1ce" in result.stdout + result.stderr
    _check_prediction(tmp_path / "o2" / f"{case}_seg.nii.gz", inputs / case / f"{case}_flair.nii.gz")


def test_infer_case_without_any_modality(tmp_path, repo_root, ckpt_dir) -> None:
    datalist = tmp_path / "d.json"
    datalist.write_text(json.dumps({"testing": [{"case": "Empty_1", "flair": "Empty_1/Empty_1_flair.nii.gz"}]}))
    result = _infer(
        repo_root,
        ckpt_dir,
        {"dataset_dir": str(tmp_path), "datalist": str(datalist), "output_dir": str(tmp_path / "out")},
    )
    assert result.returncode != 0 and "case Empty_1: no modality image found" in result.stdout + result.stderr


@pytest.mark.parametrize("spacing", ["None", "[4,4,4]"])
def test_table_scores_what_inference_writes(spacing, demo_dir, tmp_path, repo_root, ckpt_dir) -> None:
    """The evaluation's full-modality rows equal Dice and HD95 computed from the label maps inference.json writes,
    on each case's original (2 mm) grid, also when the model works at 4 mm (`spacing`)."""
    out = tmp_path / "eval"
    plain = {"subsets": "['flair+t1+t1ce+t2']", "fast_subsets": "false", "sw_overlap": "0.5", "spacing": spacing}
    overrides = {"dataset_dir": str(demo_dir), "ckpt_dir": str(ckpt_dir), "output_dir": str(out), **plain}
    result = _evaluate(repo_root, overrides)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    pred_dir = tmp_path / "pred"
    result = _infer(
        repo_root,
        ckpt_dir,
        {
            "dataset_dir": str(demo_dir),
            "output_dir": str(pred_dir),
            "roi_size": "[32,32,32]",
            "sw_overlap": "0.5",
            "spacing": spacing,
        },
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with (out / "per_case.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert rows
    for row in rows:
        label_img = nib.load(demo_dir / row["case"] / f"{row['case']}_seg.nii.gz")
        written_img = nib.load(pred_dir / f"{row['case']}_seg.nii.gz")
        assert written_img.shape == label_img.shape and np.allclose(written_img.affine, label_img.affine)
        written = torch.as_tensor(np.asarray(written_img.dataobj))
        pred = BratsLabelToRegions()(written.long()).bool()
        label = BratsLabelToRegions()(torch.as_tensor(np.asarray(label_img.dataobj)).long()).bool()
        spacing = label_img.header.get_zooms()[:3]
        for c, region in enumerate(("tc", "wt", "et")):
            assert float(row[f"dice_{region}"]) == pytest.approx(dice_score(pred[c], label[c]), abs=1e-6), region
            assert float(row[f"hd95_{region}"]) == pytest.approx(hd95_score(pred[c], label[c], spacing), abs=1e-4)
