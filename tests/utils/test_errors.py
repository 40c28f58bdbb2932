from __future__ import annotations

import subprocess
import sys

from metakd_ext.data import load_datalist
from metakd_ext.utils import root_cause


def test_root_cause_follows_explicit_causes() -> None:
    try:
        try:
            try:
                raise ValueError("case K: the t1 file is truncated")
            except ValueError as e:
                raise RuntimeError("applying transform") from e
        except RuntimeError as e:
            raise RuntimeError("Failed to evaluate") from e
    except RuntimeError as e:
        cause = root_cause(e)
    assert isinstance(cause, ValueError) and str(cause) == "case K: the t1 file is truncated"
    plain = KeyError("k")
    assert root_cause(plain) is plain


def test_root_cause_prefers_the_package_s_message(tmp_path) -> None:
    bad = tmp_path / "d.json"
    bad.write_text("{")
    try:
        try:
            load_datalist(bad, "training")  # a ValueError naming the file, from a JSONDecodeError
        except ValueError as e:
            raise RuntimeError("Failed to evaluate") from e
    except RuntimeError as e:
        cause = root_cause(e)
    assert isinstance(cause, ValueError) and str(cause).startswith(f"datalist {bad} is not valid JSON")


def test_uncaught_error_ends_with_its_cause() -> None:
    code = (
        "import metakd_ext.utils as u\n"
        "u.end_errors_with_cause(); u.end_errors_with_cause()\n"
        "try:\n    raise ValueError('datalist d.json is not valid JSON')\n"
        "except ValueError as e:\n    raise RuntimeError('Failed to evaluate ConfigExpression') from e\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert lines[-1] == "error: ValueError: datalist d.json is not valid JSON"
    assert "RuntimeError: Failed to evaluate ConfigExpression" in out.stderr
    assert out.stderr.count("error: ValueError") == 1  # installed once
