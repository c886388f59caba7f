"""Bad questions, exit codes and terminal safety of the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import badfiles
import pytest

from qa.api import MAX_QUESTION_CHARS, clean_question
from qa.cli import main
from qa.cli_output import display
from qa.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
QA = Path(sys.executable).parent / "qa"


@pytest.fixture
def indexed(in_tmp_path, tmp_path, fake_models, monkeypatch, capsys):
    """The bad-files folder indexed with the fake models; the test runs in its parent folder."""
    badfiles.make_bad_folder(tmp_path)
    (tmp_path / "docs" / "evil\x1b[2J\x1b]0;owned\x07name.txt").write_text("The file name itself is hostile.\n")
    assert (
        main(["index", "docs", "--index", "idx", "--max-file-mb", str(badfiles.MAX_FILE_MB)], models=fake_models) == 0
    )
    out = capsys.readouterr().out
    return out


# -- bad questions --------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\t\n", "\x00\x01\x1b", "\u202e\u2066", "\udcff\udcfe", "\x85\x9b"])
def test_empty_questions_are_refused(raw):
    with pytest.raises(UsageError, match="the question is empty"):
        clean_question(raw)


def test_control_characters_are_stripped():
    assert clean_question("When\x00 was\x1b[31m it\u202e launched?\x07\r\n") == "When was [31m it launched?"
    assert clean_question("caf\u0065\u0301 ?") == "caf\u00e9 ?"  # NFC
    assert clean_question("bad bytes \udcff here") == "bad bytes here"


def test_long_questions_are_cut_with_a_notice():
    notices = []
    question = clean_question("word " * 400, notices.append)
    assert len(question) <= MAX_QUESTION_CHARS and question.endswith("word")
    assert len(notices) == 1 and f"longer than {MAX_QUESTION_CHARS}" in notices[0]
    assert len(clean_question("x" * 5000, notices.append)) == MAX_QUESTION_CHARS
    assert clean_question("short", notices.append) == "short" and len(notices) == 2


@pytest.mark.parametrize(
    "argv",
    [["ask", ""], ["ask", "   "], ["ask", "\x01\x02\x1b"], ["ask", "q", "--top-k", "0"]],
)
def test_bad_questions_exit_2_with_one_line(argv, tmp_path, capsys):
    assert main([*argv, "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qa: ")


def test_usage_errors_of_the_parser_exit_2(cli):
    for argv in ([], ["ask"], ["nonsense"], ["index", "--max-file-mb", "lots"]):
        result = cli.invoke(*argv, terminal=True)  # `qa ask` alone on a terminal
        assert result.exit_code == 2 and "usage:" in result.stderr, argv


def test_long_and_dirty_questions_are_answered(indexed, capsys, fake_models):
    question = "When was the lighthouse keeper born?\x1b[2J\x00 " + "really " * 300
    assert main(["ask", question, "--index", "idx", "--json"], models=fake_models) == 0
    captured = capsys.readouterr()
    answer = json.loads(captured.out)
    assert f"longer than {MAX_QUESTION_CHARS}" in captured.err
    assert "\x1b" not in answer["question"] and "\x00" not in answer["question"]
    assert len(answer["question"]) <= MAX_QUESTION_CHARS


def test_questions_from_stdin_skip_bad_lines(indexed, cli):
    lines = "When was the lighthouse keeper born?\n\n   \n\x01\x02\nWhen did the bridge open?\n"
    result = cli.invoke("ask", "-", "--index", "idx", "--json", stdin=lines)
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("question") for line in lines] == [
        "When was the lighthouse keeper born?",
        None,
        "When did the bridge open?",
    ]
    assert lines[1]["code"] == 2 and "the question is empty" in lines[1]["error"]  # under --json, errors are JSON
    result = cli.invoke("ask", "-", "--index", "idx", stdin="\x01\x02\n")
    assert result.exit_code == 0
    assert result.stdout == "" and "the question is empty" in result.stderr  # without --json, on stderr


def test_question_with_undecodable_bytes_does_not_crash(indexed, capsys, fake_models):
    assert main(["ask", "When was the keeper born? \udcff", "--index", "idx"], models=fake_models) == 0
    assert main(["ask", "When was the keeper born? \udcff", "--index", "idx", "--json"], models=fake_models) == 0


# -- terminal safety ---------------------------------------------------------------


def test_display_shows_control_sequences_literally():
    assert display("a\x1b[31mred\x1b[0m") == "a\\x1b[31mred\\x1b[0m"
    assert display("title \x1b]0;x\x07 csi \x9b2J del \x7f") == "title \\x1b]0;x\\x07 csi \\x9b2J del \\x7f"
    assert display("hard-\r\nwrapped line\nbreak") == "hard- wrapped line break"  # a passage reads as one line
    assert display("rtl \u202eevil\u202c \u2067x\u2069") == "rtl \\u202eevil\\u202c \\u2067x\\u2069"
    assert display("name \udcff") == "name \\xff"
    assert display("[bold]markup[/bold] tab\tcaf\u00e9 \u4e2d") == "[bold]markup[/bold] tab\tcaf\u00e9 \u4e2d"


def _assert_terminal_safe(text: str) -> None:
    for char in text:
        code = ord(char)
        assert char in "\n\t" or not (code < 32 or 0x7F <= code <= 0x9F), repr(char)
        assert not (0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069 or 0xD800 <= code <= 0xDFFF), repr(char)


def test_index_report_is_terminal_safe(indexed):
    _assert_terminal_safe(indexed)
    assert "evil\\x1b[2J\\x1b]0;owned\\x07name.txt" in indexed


@pytest.mark.parametrize(
    "question, shown",
    [
        ("What is the vault code, red here?", "\\x1b[31mred\\x1b[0m"),
        ("Which markup stays literal?", "[bold red]stays[/bold red]"),
        ("What is the access level of the tower guard?", "\\u202euser\\u202c"),
    ],
)
def test_answers_show_escapes_and_markup_literally(indexed, capsys, question, shown, fake_models):
    assert main(["ask", question, "--index", "idx", "--top-k", "5"], models=fake_models) == 0
    out = capsys.readouterr().out
    _assert_terminal_safe(out)
    assert shown in out, out
    assert main(["ask", question, "--index", "idx", "--top-k", "5", "--json"], models=fake_models) == 0
    out = capsys.readouterr().out
    _assert_terminal_safe(out)
    data = json.loads(out)
    texts = " ".join(c["text"] for c in data["citations"])
    assert any(c in texts for c in ("\x1b", "[bold red]", "\u202e"))  # JSON keeps the exact text


def test_errors_are_terminal_safe(tmp_path, capsys, fake_models):
    main(["index", str(tmp_path / "no\x1b[2Jwhere"), "--index", str(tmp_path / "idx")], models=fake_models)
    err = capsys.readouterr().err
    _assert_terminal_safe(err)
    assert "no\\x1b[2Jwhere" in err


# -- the real `qa` program ------------------------------------------------------------------


def _qa(*args, **kwargs):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([str(QA), *args], capture_output=True, text=True, env=env, timeout=300, **kwargs)


def test_real_cli_empty_question_exits_2_without_loading_anything(tmp_path):
    for question in ("", "   ", "\x01\x1b"):
        result = _qa("ask", question, "--index", str(tmp_path / "idx"))
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1 and "the question is empty" in result.stderr
    result = _qa("ask", "anything?", "--index", str(tmp_path / "idx"))
    assert result.returncode == 4 and result.stderr.count("\n") == 1 and "qa index FOLDER --index" in result.stderr


@pytest.mark.model
def test_real_cli_indexes_the_bad_folder_and_answers(tmp_path):
    badfiles.make_bad_folder(tmp_path)
    result = _qa("index", "docs", "--index", "idx", "--max-file-mb", str(badfiles.MAX_FILE_MB), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for name, (kind, reason) in badfiles.EXPECTED.items():
        line = next(x for x in result.stdout.splitlines() if x.split(": ")[0].endswith(f"docs/{name}"))
        assert line.startswith(kind), line
        if kind == "skipped":
            assert reason in line
    result = _qa("ask", "What is the vault code? " + "please " * 300, "--index", "idx", "--top-k", "5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"longer than {MAX_QUESTION_CHARS}" in result.stderr
    _assert_terminal_safe(result.stdout)
