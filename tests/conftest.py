"""Shared fixtures. Keep this small: helpers live in tests/fakes.py."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _private_history(tmp_path_factory, monkeypatch):
    """Conversations that tests log (qa ask, qa chat) go to a temporary database, never the user's."""
    monkeypatch.setenv("QA_HISTORY", str(tmp_path_factory.mktemp("history") / "history.db"))


@pytest.fixture
def fake_models(monkeypatch):
    """The small deterministic fake models (no torch), a qa.models.Models to pass to what a test runs:
    ``main(argv, models=fake_models)``, ``Engine(..., models=fake_models)``, ``build_index(..., models=fake_models)``.
    QA_MODEL is cleared: a model named in the test's environment would make every fake index stale."""
    import fakes

    monkeypatch.delenv("QA_MODEL", raising=False)
    return fakes.MODELS


@pytest.fixture
def in_tmp_path(tmp_path, monkeypatch):
    """The test runs in its tmp_path, for the tests about names relative to the working folder (the one chdir of
    the tests: the others pass absolute paths, or the runner's ``cwd``)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cli(tmp_path_factory):
    """A tests/cli_runner.py CliRunner with the fake models and an environment of its own: the history and the
    named collections in a temporary folder. ``cli.invoke("ask", ..., stdin=..., terminal=True, env={...})``."""
    from cli_runner import CliRunner, private_env

    return CliRunner(private_env(tmp_path_factory.mktemp("qa-data")))


@pytest.fixture
def bad_folder(tmp_path):
    """docs/ with every bad file (see tests/badfiles.py), plus outside/ that its links point to."""
    import badfiles

    return badfiles.make_bad_folder(tmp_path)


@pytest.fixture(scope="session")
def seeds_engine():
    """The real engine on the default index of seeds/ (built on first use), loaded once for the session."""
    from qa.api import Engine

    engine = Engine()
    engine.prepare(notice=lambda message: None)
    return engine
