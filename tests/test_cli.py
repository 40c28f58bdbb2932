from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from metakd_ext.cli import main


def test_demo_and_datalist_commands(tmp_path: Path) -> None:
    main(["demo", "brats", "--output_dir", str(tmp_path / "d"), "--num_cases", "3", "--spacing", "4", "--seed", "1"])
    assert (tmp_path / "d" / "datalist.json").is_file()
    main(
        [
            "datalist",
            "brats",
            "--data_dir",
            str(tmp_path / "d"),
            "--output",
            str(tmp_path / "x.json"),
            "--num_meta",
            "0",
        ]
    )
    datalist = json.loads((tmp_path / "x.json").read_text())
    assert len(datalist["training"]) + len(datalist["validation"]) == 3


def test_help_and_clear_error(tmp_path: Path) -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "metakd_ext", "demo", "brats", "--help"], capture_output=True, text=True, timeout=120
    )
    assert "--num_cases" in help_text.stdout + help_text.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "metakd_ext", "datalist", "brats", "--data_dir", str(tmp_path), "--output", "x.json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0
    assert "no BraTS cases found" in bad.stderr
    assert "Traceback" not in bad.stderr
