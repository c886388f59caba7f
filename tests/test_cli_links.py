"""Citations in `qa ask` on a terminal are OSC 8 hyperlinks to their files (issue 12); never in a pipe."""

from __future__ import annotations

import pytest

import qa.cli_output
from qa.cli_output import Terminal

OSC8 = "\x1b]8;;"


@pytest.fixture
def indexed(tmp_path, cli):
    (tmp_path / "my docs").mkdir()
    (tmp_path / "my docs" / "facts_2025.txt").write_text("The lighthouse keeper was born in 1901.\n")
    assert cli.invoke("index", "my docs", "--index", "idx", cwd=tmp_path).exit_code == 0
    return tmp_path


def test_a_citation_on_a_terminal_links_to_its_file(indexed, cli):
    result = cli.invoke("ask", "--index", indexed / "idx", "When was the lighthouse keeper born?", terminal=True)
    assert result.exit_code == 0
    uri = (indexed / "my docs" / "facts_2025.txt").resolve().as_uri()
    assert uri.endswith("/my%20docs/facts_2025.txt")
    assert f"[1] {OSC8}{uri}\x1b\\my docs/facts_2025.txt:1{OSC8}\x1b\\\n" in result.stdout
    assert result.stdout.count(OSC8) == 2  # the label only: the quote stays plain


@pytest.mark.parametrize(
    "terminal, term, setting, linked",
    [(False, "xterm", "", False), (True, "dumb", "", False), (True, "xterm", "0", False), (False, "", "1", True)],
)
def test_links_only_where_a_terminal_shows_them(indexed, cli, terminal, term, setting, linked):
    result = cli.invoke(
        "ask",
        "--index",
        indexed / "idx",
        "When was the lighthouse keeper born?",
        terminal=Terminal(stdin=terminal, stdout=terminal, term=term),
        env={"QA_HYPERLINKS": setting},
    )
    assert result.exit_code == 0
    assert (OSC8 in result.stdout) is linked


def test_no_link_under_json_nor_to_a_file_that_is_gone(indexed, cli):
    result = cli.invoke(
        "ask", "--index", indexed / "idx", "--json", "When was the lighthouse keeper born?", terminal=True
    )
    assert result.exit_code == 0 and OSC8 not in result.stdout
    assert qa.cli_output._hyperlink("gone.txt:1", indexed / "gone.txt") == "gone.txt:1"


def test_passages_of_one_line_are_told_apart_by_their_column(tmp_path, capsys):
    from qa.answering import Answer, Citation, PageCitation

    line = "The keeper was born in 1901. The bridge opened in 1932."
    (tmp_path / "facts.txt").write_text(f"Title\n{line}\n")
    second = line.index("The bridge")

    def cited(n, start, end):
        return Citation(n, "facts.txt", 2, 2, line[start:end], 1.0, 6 + start, 6 + end, 2, 2)

    citations = [cited(1, 0, 28), cited(2, second, len(line)), Citation(3, "facts.txt", 1, 1, "Title", 0.5, 0, 5, 1, 1)]
    citations.append(PageCitation(4, "guide.pdf", 3, 4, "x", 0.1, 0, 1, 3, 4, page=12))
    answer = Answer("q", "1901 [1]", False, citations)
    qa.cli_output.print_answer(answer, tmp_path, hyperlinks=False)
    out = capsys.readouterr().out
    assert "[1] facts.txt:2:1\n" in out and f"[2] facts.txt:2:{second + 1}\n" in out and "[3] facts.txt:1\n" in out
    assert "[4] guide.pdf#page=12:3-4\n" in out  # as qa show reads it
    (tmp_path / "facts.txt").write_text("changed\n")
    qa.cli_output.print_answer(answer, tmp_path, hyperlinks=False)
    assert "[1] facts.txt:2\n" in capsys.readouterr().out  # the file cannot tell the column any more
