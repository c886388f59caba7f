"""Hostile command lines (issue 26): numbers past any integer, empty paths, a deleted current folder, closed
standard streams. Each is one line `qa: ...` and a non-zero exit, never a traceback, and loses nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fakes
import pytest

from qa.cli import main
from qa.errors import UsageError
from qa.history import History
from qa.store import IndexStore

ROOT = Path(__file__).resolve().parent.parent
FAKE_QA = ROOT / "tests" / "fake_qa.py"
QUESTION = "When was the lighthouse of Brest built?"
BIG = str(10**400)  # an int in Python, past SQLite's and C's
HUGE = "9" * 5000  # past Python's int() limit of 4300 digits


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("qa: ") and "Traceback" not in err, err
    return err


@pytest.fixture
def work(in_tmp_path, tmp_path, monkeypatch, fake_models, capsys):
    """docs/ indexed as idx/ (the fake models), the command run from tmp_path, a conversation in the history."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(
        "The lighthouse of Brest was built in 1921.\n\nIts keeper was Yann Le Goff.\n", encoding="utf-8"
    )
    (tmp_path / "docs" / "b.txt").write_text("The bridge over the Penfeld opened in 1954.\n", encoding="utf-8")
    assert main(["index", "docs", "--index", "idx"], models=fake_models) == 0
    assert main(["ask", QUESTION, "--index", "idx"], models=fake_models) == 0  # logged: conversation 1
    capsys.readouterr()
    return tmp_path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv), models=fakes.MODELS)
    out, err = capsys.readouterr()
    return status, out, err


# -- numbers beyond any integer -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", [BIG, HUGE, "-1", "x", "\u0661\u0662"], ids=["10**400", "5000 digits", "-1", "x", "arabic-indic 12"]
)
@pytest.mark.parametrize(
    "argv",
    [
        ["history", "show", "{}"],
        ["history", "export", "{}"],
        ["history", "--limit", "{}"],
        ["history", "list", "--limit", "{}"],
        ["ask", "--index", "idx", "--conversation", "{}", QUESTION],
        ["ask", "--index", "idx", "--top-k", "{}", QUESTION],
        ["eval", "q.jsonl", "--index", "idx", "--top-k", "{}"],
        ["index", "docs", "--index", "idx", "--shards", "{}"],
    ],
    ids=lambda argv: " ".join(a for a in argv if a != "{}")[:40],
)
def test_every_integer_option_refuses_what_is_not_a_whole_number_in_range(work, capsys, argv, number):
    status, out, err = _run(capsys, *[number if a == "{}" else a for a in argv])
    assert status == UsageError.exit_code and out == "", err
    option = argv[argv.index("{}") - 1]
    assert f"qa: {option if option.startswith('-') else 'ID'} " in one_line(err)
    assert len(err) < 200  # the number is shortened in the message


def test_integer_options_take_their_whole_range(work, capsys):
    status, _, err = _run(capsys, "history", "show", "9223372036854775808")
    assert status == UsageError.exit_code and "too large" in one_line(err)
    for argv in (["history", "--limit", "1.5"], ["history", "--limit", ""], ["history", "show", "-" + BIG]):
        status, _, err = _run(capsys, *argv)
        assert status == UsageError.exit_code and "whole number" in one_line(err)
    status, out, _ = _run(capsys, "history", "show", "1")
    assert status == 0 and QUESTION in out
    status, _, err = _run(capsys, "history", "show", "9223372036854775807")
    assert status == UsageError.exit_code and "no conversation 9223372036854775807" in one_line(err)
    status, out, _ = _run(capsys, "history", "--limit", "0", "--json")
    assert status == 0 and len(out.splitlines()) == 1
    status, out, _ = _run(
        capsys, "ask", "--index", "idx", "--no-log", "--json", "--top-k", "9223372036854775807", QUESTION
    )
    assert status == 0 and json.loads(out)["citations"]


def test_an_integer_error_is_json_under_json(work, capsys):
    status, out, err = _run(capsys, "history", "show", BIG, "--json")
    expected = {"error": f"ID is too large: at most {2**63 - 1}, not '{BIG[:24]}…'", "code": 2}
    assert status == 2 and err == "" and json.loads(out) == expected


@pytest.mark.parametrize(
    "citation",
    [f"docs/a.txt:{HUGE}", f"docs/a.txt:1-{HUGE}", f"x.pdf#page={HUGE}:1", "x.pdf#page=²:1"],
    ids=["line", "last line", "page", "superscript page"],
)
def test_show_refuses_line_and_page_numbers_past_any_file(work, capsys, citation):
    status, out, err = _run(capsys, "show", citation)
    assert status == UsageError.exit_code and out == ""
    assert len(one_line(err)) < 200


def test_show_says_a_large_line_number_is_past_the_file(work, capsys):
    status, _, err = _run(capsys, "show", f"docs/a.txt:{BIG[:18]}")
    assert status == UsageError.exit_code and "has 3 lines" in one_line(err)


# -- empty paths ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", " ", "\t"])
def test_remove_refuses_an_empty_path_and_keeps_every_file(work, capsys, path, fake_models):
    """`qa remove ""` named the current folder: every file under it, and the folder itself, left the index."""
    (work / "more").mkdir()
    (work / "more" / "c.txt").write_text("The ferry to Ouessant leaves at nine.\n", encoding="utf-8")
    elsewhere = work.parent / f"{work.name}-elsewhere"
    elsewhere.mkdir()
    (elsewhere / "d.txt").write_text("A file outside the current folder.\n", encoding="utf-8")
    assert main(["index", "docs", "more", str(elsewhere), "--index", "idx"], models=fake_models) == 0
    store = IndexStore(work / "idx")
    before = store.read_manifest()
    live = store.live_generation()
    capsys.readouterr()
    for argv in (["remove", path, "--index", "idx"], ["remove", "docs/a.txt", path, "--index", "idx"]):
        status, out, err = _run(capsys, *argv)
        assert status == UsageError.exit_code and out == "" and "PATH is empty" in one_line(err)
    assert store.live_generation() == live
    after = store.read_manifest()
    assert after.files.keys() == before.files.keys() and after.folders == before.folders


def test_remove_sources_refuses_an_empty_path(work, fake_models):
    from qa.indexing import remove_sources

    with pytest.raises(UsageError, match="names no file"):
        remove_sources(IndexStore(work / "idx"), [""], models=fake_models)


@pytest.mark.parametrize(
    "argv",
    [
        ["index", "", "--index", "new"],
        ["index", "docs", " ", "--index", "new"],
        ["eval", ""],
        ["show", "docs/a.txt:1", "--root", ""],
    ],
)
def test_other_empty_paths_are_refused_not_the_current_folder(work, capsys, argv):
    status, out, err = _run(capsys, *argv)
    assert status == UsageError.exit_code and out == "" and "is empty" in one_line(err)
    assert not (work / "new").exists()


# -- the real program: a deleted current folder, closed streams ----------------------------------------


def _fake_qa(*args: str, cwd: Path, close: int | None = None) -> subprocess.CompletedProcess:
    """fake_qa run in ``cwd``; ``close``: a standard stream (0, 1 or 2) closed before it starts, as `<&-` does."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, str(FAKE_QA), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=None if close is None else (lambda: os.close(close)),
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """docs/ indexed as idx/ by the real program; shared: the tests that use it must leave it as it is."""
    tmp_path = tmp_path_factory.mktemp("built")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("The lighthouse of Brest was built in 1921.\n", encoding="utf-8")
    (tmp_path / "docs" / "b.txt").write_text("The bridge over the Penfeld opened in 1954.\n", encoding="utf-8")
    result = _fake_qa("index", "docs", "--index", "idx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        ["index", "{docs}", "--index", "{work}/new"],
        ["index", "--index", "{work}/idx"],
        ["ask", "--index", "{work}/idx", "--no-log", QUESTION],
        ["ask", "--index", "{work}/idx", "--no-log", "--json", QUESTION],
        ["remove", "{docs}/b.txt", "--index", "{work}/idx"],
        ["remove", "docs/b.txt", "--index", "{work}/idx"],
        ["eval", "{work}/q.jsonl", "--index", "{work}/idx"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_deleted_current_folder_is_one_line(built, argv):
    gone = built / "gone"
    gone.mkdir(exist_ok=True)
    script = (
        "import os, subprocess, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]);"
        " sys.exit(subprocess.run(sys.argv[2:]).returncode)"
    )
    live = IndexStore(built / "idx").live_generation()
    argv = [a.format(work=built, docs=built / "docs") for a in argv]
    result = subprocess.run(
        [sys.executable, "-c", script, str(gone), sys.executable, str(FAKE_QA), *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == UsageError.exit_code and "Traceback" not in result.stderr, result.stderr
    said = json.loads(result.stdout)["error"] if "--json" in argv else one_line(result.stderr)
    assert "current folder" in said
    assert IndexStore(built / "idx").live_generation() == live and not (built / "new").exists()


@pytest.mark.parametrize(
    "argv", [["list"], ["history"], ["ask", "--index", "idx", "--no-log", QUESTION], ["sources", "--index", "idx"]]
)
def test_a_closed_stdout_exits_non_zero_without_a_traceback(built, argv):
    result = _fake_qa(*argv, cwd=built, close=1)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "Exception" not in result.stderr, result.stderr
    assert one_line(result.stderr) == "qa: cannot write the output: standard output is closed\n"


def test_a_closed_stderr_and_stdout_say_nothing_and_fail(built):
    result = _fake_qa("ask", "--index", "idx", "--no-log", "", cwd=built, close=2)
    assert result.returncode == UsageError.exit_code and result.stdout == ""  # errors never go to stdout


@pytest.mark.parametrize("argv", [["ask", "--index", "idx"], ["ask", "-", "--index", "idx"], ["mcp", "--index", "idx"]])
def test_a_closed_stdin_is_one_line(built, argv):
    result = _fake_qa(*argv, cwd=built, close=0)
    assert result.returncode == UsageError.exit_code and result.stdout == ""
    assert "closed" in one_line(result.stderr)


def test_a_question_on_the_command_line_needs_no_stdin(built):
    result = _fake_qa("ask", "--index", "idx", "--no-log", QUESTION, cwd=built, close=0)
    assert result.returncode == 0 and "docs/a.txt:1" in result.stdout, result.stderr


def test_history_stays_as_it_was(work, capsys, fake_models):
    """None of the refusals above writes the history: the one conversation is still there, alone."""
    for argv in (["ask", "--index", "idx", "--conversation", BIG, QUESTION], ["history", "show", HUGE]):
        assert main(argv, models=fake_models) == UsageError.exit_code
    assert [c.id for c in History().conversations()] == [1]


def test_json_nested_too_deeply_is_a_bad_line_not_a_traceback(work, capsys):
    """json raises RecursionError, not ValueError, on brackets nested a hundred thousand deep (200 KB)."""
    (work / "q.jsonl").write_text('{"question": ' + "[" * 100_000 + "]" * 100_000 + "}\n", encoding="utf-8")
    status, out, err = _run(capsys, "eval", "q.jsonl", "--index", "idx")
    assert status == UsageError.exit_code and out == "" and "q.jsonl:1: not a JSON object" in one_line(err)
