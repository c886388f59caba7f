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
    """The CLI and the engine use small deterministic fake encoders (no torch)."""
    import fakes

    fakes.install(monkeypatch.setattr)
    monkeypatch.delenv("QA_MODEL", raising=False)
    return fakes


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
