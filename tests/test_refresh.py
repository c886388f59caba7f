"""Refreshing an index keeps what it was built from: folders, model, and the names of its files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAKE_QA = ROOT / "tests" / "fake_qa.py"


def fake_qa(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(FAKE_QA), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_refresh_keeps_folders_and_names(tmp_path):
    work = tmp_path / "work"
    docs = work / "docs"
    docs.mkdir(parents=True)
    (docs / "a.txt").write_text("The lighthouse of Brest was built in 1921.\n", encoding="utf-8")
    index = tmp_path / "idx"
    built = fake_qa("index", "docs", "--index", str(index), cwd=work)
    assert built.returncode == 0, built.stderr

    # Without folders, `qa index --index DIR` rebuilds from the folders the index recorded.
    (docs / "b.txt").write_text("The bridge opened in 1932.\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refreshed = fake_qa("index", "--index", str(index), cwd=elsewhere)
    assert refreshed.returncode == 0, refreshed.stderr
    assert "docs/a.txt" in refreshed.stdout and "docs/b.txt" in refreshed.stdout
    assert "seeds" not in refreshed.stdout

    # A question asked from another folder after a change keeps the files' names.
    (docs / "a.txt").write_text("The lighthouse of Brest was built in 1921 by the navy.\n", encoding="utf-8")
    asked = fake_qa("ask", "--json", "--index", str(index), "When was the lighthouse of Brest built?", cwd=elsewhere)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["citations"] and answer["citations"][0]["source"] == "docs/a.txt"


def test_missing_folder_answers_from_the_index_as_built(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The lighthouse of Brest was built in 1921.\n", encoding="utf-8")
    index = tmp_path / "idx"
    assert fake_qa("index", "docs", "--index", str(index), cwd=tmp_path).returncode == 0
    docs.rename(tmp_path / "moved")
    asked = fake_qa("ask", "--json", "--index", str(index), "When was the lighthouse of Brest built?", cwd=tmp_path)
    assert asked.returncode == 0, asked.stderr
    assert "is missing" in asked.stderr
    assert "1921" in json.loads(asked.stdout)["answer"]


def test_index_without_folders_for_an_unknown_index_is_a_usage_error(tmp_path):
    done = fake_qa("index", "--index", str(tmp_path / "new"), cwd=tmp_path)
    assert done.returncode == 2 and "say which folders" in done.stderr


def test_an_index_of_a_single_file_is_not_missing(fake_models, tmp_path, capsys, monkeypatch):
    """qa ask on an index built from one file checks that file, not a folder (it used to say "is missing")."""
    from qa.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("The lighthouse of Brest was built in 1921.\n", encoding="utf-8")
    index = str(tmp_path / "idx")
    assert main(["index", "notes.txt", "--index", index]) == 0
    capsys.readouterr()
    assert main(["ask", "--json", "--no-log", "--index", index, "When was the lighthouse of Brest built?"]) == 0
    out, err = capsys.readouterr()
    assert "missing" not in err and "building" not in err
    assert json.loads(out)["citations"][0]["source"] == "notes.txt"
    # A change to the file is noticed and refreshed.
    (tmp_path / "notes.txt").write_text("The lighthouse of Brest was built in 1921 by the navy.\n", encoding="utf-8")
    assert main(["ask", "--json", "--no-log", "--index", index, "Who built the lighthouse of Brest?"]) == 0
    out, err = capsys.readouterr()
    assert "notes.txt changed" in err
    assert "navy" in json.loads(out)["citations"][0]["text"]
