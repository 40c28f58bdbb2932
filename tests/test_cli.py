from __future__ import annotations

import inspect
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
            "--test_fraction",
            "0.34",
        ]
    )
    datalist = json.loads((tmp_path / "x.json").read_text())
    assert [len(datalist[k]) for k in ("training", "validation", "testing")] == [1, 1, 1]


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


def test_adni_demo_datalist_and_report_commands(tmp_path: Path, capsys) -> None:
    main(
        [
            "demo",
            "adni",
            "--output_dir",
            str(tmp_path / "a"),
            "--num_subjects",
            "9",
            "--spacing",
            "8",
            "--num_meta",
            "0",
        ]
    )
    main(
        [
            "datalist",
            "adni",
            "--csv",
            str(tmp_path / "a" / "subjects.csv"),
            "--output",
            str(tmp_path / "a.json"),
            "--tabular_columns",
            '{"csf": ["abeta42", "ttau", "ptau"]}',
            "--num_meta",
            "0",
            "--val_fraction",
            "0.34",
        ]
    )
    datalist = json.loads((tmp_path / "a.json").read_text())
    sizes = [len(datalist[k]) for k in ("training", "validation", "testing")]
    assert sizes == [4, 3, 2]  # stratified, rounded per class
    assert list(datalist["tabular_stats"]) == ["csf"]
    eval_dir = tmp_path / "eval"
    eval_dir.mkdir()
    (eval_dir / "per_subject.csv").write_text(
        "subject,subset,available,label,prob_CN,prob_AD,predicted\n"
        "S1,mri,mri,CN,0.9,0.1,CN\nS2,mri,mri,AD,0.3,0.7,AD\nS3,mri,mri,AD,0.6,0.4,CN\n"
    )
    main(["report", "--eval_dir", str(eval_dir)])
    printed = capsys.readouterr().out
    assert "| mri | 3 | 66.7 | 75.0 |" in printed
    assert (eval_dir / "summary.png").is_file()


def test_datalist_and_demo_commands_are_the_library_functions() -> None:
    """The commands wrap the library: the same arguments and defaults, nothing to drift."""
    from metakd_ext import cli
    from metakd_ext.comparison import compare_methods, tabulate_runs
    from metakd_ext.data import (
        make_adni_demo,
        make_brats_demo,
        write_avmnist_datalist,
        write_brats_datalist,
        write_subject_datalist,
    )

    for command, function in (
        (cli.datalist_avmnist, write_avmnist_datalist),
        (cli.datalist_brats, write_brats_datalist),
        (cli.datalist_adni, write_subject_datalist),
        (cli.demo_brats, make_brats_demo),
        (cli.demo_adni, make_adni_demo),
        (cli.compare, compare_methods),
        (cli.tabulate, tabulate_runs),
    ):
        assert inspect.signature(command).parameters == inspect.signature(function).parameters
        assert command.__doc__ == function.__doc__


def test_avmnist_datalist_command(fake_avmnist: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "avmnist" / "datalist.json"
    args = ["datalist", "avmnist", "--fsdd_dir", str(fake_avmnist / "fsdd"), "--mnist_dir", str(fake_avmnist / "mnist")]
    main(
        [
            *args,
            "--output",
            str(out),
            "--audio_rate",
            "0.5",
            "--train_per_class",
            "6",
            "--test_per_class",
            "3",
            "--val_per_class",
            "1",
        ]
    )
    assert capsys.readouterr().out.strip() == str(out)
    assert json.loads(out.read_text())["protocol"]["full_pairs_per_class"] == 3
    bad = subprocess.run(
        [sys.executable, "-m", "metakd_ext", *args[:5], str(tmp_path), "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert f"MNIST file {tmp_path / 't10k-images-idx3-ubyte.gz'} not found" in bad.stderr
