"""The README's two commands are the set-up a new user runs; CI must run the second one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_starts_with_two_set_up_commands():
    ask, test = readme_commands()
    assert ask.startswith("python3 -m venv .venv") and ask.endswith('.venv/bin/qa ask "When was DeepSeek launched?"')
    assert test.startswith("python3 -m venv .venv") and "pytest" in test


def test_ci_runs_the_readme_test_command():
    _, test = readme_commands()
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
