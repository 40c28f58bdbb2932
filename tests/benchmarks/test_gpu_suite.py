from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

SUITE = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_suite.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SUITE), *args], capture_output=True, text=True, timeout=1200)


def test_help_and_bad_sections() -> None:
    out = _run("--help")
    assert out.returncode == 0 and "--sections" in out.stdout and "python benchmarks/gpu_suite.py" in out.stdout
    bad = _run("--sections", "train,warp")
    assert bad.returncode == 2 and "unknown --sections ['warp']" in bad.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="measures on a CUDA machine")
def test_without_cuda_one_line_and_exit_0() -> None:
    out = _run()
    assert out.returncode == 0
    assert out.stdout.strip().splitlines() == [
        "gpu_suite: CUDA is not available on this machine; nothing measured (--device cpu makes a smoke run)."
    ]


@pytest.mark.slow
def test_cpu_smoke_run_measures_every_section(demo_dir: Path) -> None:
    out = _run(
        *("--device", "cpu", "--data_dir", str(demo_dir), "--roi", "32", "--sw_roi", "32", "--channels", "8,16,32,64"),
        *("--iters", "2", "--warmup", "1", "--rounds", "1", "--meta_interval", "1", "--meta_steps", "1"),
        *("--meta_moves", "2", "--num_workers", "0", "--loader_batches", "3", "--bundle_iterations", "4"),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line.split(" | ") for line in out.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    table = {(r[0].strip("| "), r[1]): r[2] for r in rows[1:]}
    sections = {section for section, _ in table}
    assert sections == {"train", "meta", "inference", "loader", "bundle"}
    assert sum(s == "train" for s, _ in table) == 5  # the five variants, AMP off only on a CPU
    meta = {m: v for (s, m), v in table.items() if s == "meta"}
    assert float(meta["meta gradient on w, fp32: norm"]) > 0
    assert float(meta["meta gradient, trainer with AMP vs fp32: relative error"]) < 1e-2
    assert float(meta["2 meta steps under AMP: max change of the weights"]) > 0
    bundle = {m: v for (s, m), v in table.items() if s == "bundle"}
    assert "model.pt" in bundle["checkpoints written"] and "model_final.pt" in bundle["checkpoints written"]
    assert bundle["modality weights, first logged"].startswith("flair ")
