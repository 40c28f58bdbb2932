from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text, flags=re.S)[:2]


def test_ci_runs_the_readme_test_command() -> None:
    _, test_command = _commands()
    assert test_command.strip() in (ROOT / ".ci" / "run").read_text()


def test_readme_main_command_uses_existing_files() -> None:
    main_command, _ = _commands()
    for path in re.findall(r"bundles/[\w/.]+", main_command):
        assert (ROOT / path).exists(), path
