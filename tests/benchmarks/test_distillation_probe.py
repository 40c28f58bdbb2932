from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from monai.bundle import ConfigParser

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "benchmarks" / "distillation_probe.py"
CONFIGS = ROOT / "bundles" / "metakd_brats" / "configs"


def _probe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROBE), *args], capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_probe_reads_the_runs_of_a_comparison(demo_dir: Path, tmp_path: Path) -> None:
    parser = ConfigParser()
    parser.read_config([str(CONFIGS / "train.json"), str(CONFIGS / "demo.json")])
    parser.update({"dataset_dir": str(demo_dir)})
    models = tmp_path / "metakd" / "seed0" / "models"
    models.mkdir(parents=True)
    torch.save(parser.get_parsed_content("network").state_dict(), models / "model.pt")
    common = ["--compare_dir", str(tmp_path), "--dataset_dir", str(demo_dir), "--seeds", "0"]
    out = _probe(*common, "--methods", "metakd")
    assert out.returncode == 0, out.stderr[-3000:]
    scales, weights, ranks = (t.splitlines() for t in out.stdout.strip().split("\n\n"))
    header = scales[0]
    assert header.startswith("| method | scale | runs | cases | KD term | KD term, standardised | mean abs. feature |")
    rows = scales[2:]
    assert [r.split("|")[2].strip() for r in rows] == ["0", "1", "2", "3 (bottleneck)"]  # demo.json: 4 scales
    assert all(r.startswith("| metakd |") and r.count("|") == header.count("|") for r in rows)
    assert len(weights) == 2 and len(ranks) == 2  # headers alone: this run saved no weights
    missing = _probe(*common, "--methods", "nokd")
    assert missing.returncode != 0 and "run the comparison first" in missing.stderr


@pytest.mark.slow
def test_probe_of_a_network_without_some_skips(demo_dir: Path, tmp_path: Path) -> None:
    topology = {"fill_scales": "bottleneck", "skip_scales": [0]}
    parser = ConfigParser()
    parser.read_config([str(CONFIGS / "train.json"), str(CONFIGS / "demo.json")])
    parser.update({"dataset_dir": str(demo_dir), **topology})
    models = tmp_path / "nokd" / "seed0" / "models"
    models.mkdir(parents=True)
    torch.save(parser.get_parsed_content("network").state_dict(), models / "model.pt")
    common = ["--compare_dir", str(tmp_path), "--dataset_dir", str(demo_dir), "--seeds", "0", "--methods", "nokd"]
    out = _probe(*common, "--overrides", str(topology))
    assert out.returncode == 0, out.stderr[-3000:]
    rows = out.stdout.strip().split("\n\n")[0].splitlines()[2:]
    read = {r.split("|")[2].strip(): "no skip: not read" not in r for r in rows}
    assert read == {"0": True, "1": False, "2": False, "3 (bottleneck)": True}
