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
