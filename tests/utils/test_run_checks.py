from __future__ import annotations

import os

import pytest

from metakd_ext.utils import (
    atomic_write_text,
    check_batch_size,
    check_output_dir,
    check_training_run,
    remove_stale_temporaries,
)


def test_output_dir_made_and_checked(tmp_path) -> None:
    out = check_output_dir(tmp_path / "a" / "b", "ckpt_dir")
    assert out.is_dir() and list(out.iterdir()) == []


def test_unwritable_output_dir_names_setting_and_folder(tmp_path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")  # a folder cannot be made below a file, whoever runs the test
    with pytest.raises(PermissionError, match=r"`ckpt_dir` .*a_file/models cannot be written .*--ckpt_dir DIR"):
        check_output_dir(blocker / "models", "ckpt_dir")
    with pytest.raises(PermissionError, match=r"`output_dir` .*a_file/runs cannot be written"):
        check_training_run(tmp_path / "models", blocker / "runs", num_cases=4, batch_size=2)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_output_dir(tmp_path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match=r"`output_dir` .*locked cannot be written"):
            check_output_dir(locked, "output_dir")
    finally:
        locked.chmod(0o700)


def test_batch_size_against_training_cases() -> None:
    check_batch_size(2, 2)
    with pytest.raises(ValueError, match=r"training split has 1 case\(s\), fewer than `batch_size` 2.*--batch_size 1"):
        check_batch_size(1, 2)
    with pytest.raises(ValueError, match="has 0 case.*add cases to the datalist"):
        check_batch_size(0, 1)
    with pytest.raises(ValueError, match="`batch_size` must be >= 1"):
        check_batch_size(3, 0)


def test_stale_temporaries_removed_others_kept(tmp_path, caplog) -> None:
    atomic_write_text(tmp_path / "model.pt", "good")
    stale = [tmp_path / ".model.pt.ab12cd_9.tmp.pt", tmp_path / ".pred.nii.gz.zz00yy11.tmp.nii.gz"]
    for path in stale:
        path.write_bytes(b"")
    keep = [tmp_path / ".hidden", tmp_path / "notes.tmp.pt", tmp_path / ".x.short.tmp"]
    for path in keep:
        path.write_text("mine")
    assert remove_stale_temporaries(tmp_path) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model.pt", *(p.name for p in keep)])
    assert "a file left half-written by an interrupted run" in caplog.text
    check_training_run(tmp_path, tmp_path / "runs", num_cases=2, batch_size=2)  # also cleans, and nothing is left
    assert remove_stale_temporaries(tmp_path / "absent") == []
