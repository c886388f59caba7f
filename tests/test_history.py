"""Conversations in SQLite (qa/history.py): what is logged, the schema and its migration, and the CLI over it:
qa ask logging, --no-log, --continue / --conversation follow-ups, qa history list/search/show/export."""

from __future__ import annotations

import io
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import fakes
import pytest

import qa.history
from qa.answering import Answer, Citation, PageCitation
from qa.cli import main
from qa.config import Settings
from qa.errors import UsageError
from qa.history import History, HistoryUnavailable, citation_label, migrate

LAUNCH = "DeepSeek was launched on 11 January 2025."
USERS = "DeepSeek has 22 million daily users."


def _clock():
    """Times one second apart, from a fixed moment."""
    ticks = iter(range(10_000))
    return lambda: f"2026-11-29T10:{next(ticks) // 60:02d}:{next(ticks) % 60:02d}.000Z"


def _answer(question: str, text: str = "11 January 2025 — «x» [1]", abstained: bool = False, **kwargs) -> Answer:
    citations = [] if abstained else [Citation(1, "docs/facts.txt", 1, 1, LAUNCH, 0.9, 0, len(LAUNCH), 1, 1)]
    return Answer(
        question=question,
        answer="" if abstained else text,
        abstained=abstained,
        citations=citations,
        short_answer="" if abstained else "11 January 2025",
        searched_question=question,
        confidence=0.8,
        highlights=[] if abstained else [(25, 40)],
        **kwargs,
    )


@pytest.fixture
def history(tmp_path):
    return History(tmp_path / "h" / "history.db", clock=_clock())


# -- the store ---------------------------------------------------------------------------------------------


def test_an_exchange_is_logged_with_everything_and_read_back(history):
    conversation = history.new_conversation("/idx")
    answer = _answer("When was DeepSeek launched?")
    history.log(conversation, answer, "When was DeepSeek launched?", timing_ms=12.345, index_path="/idx")
    (exchange,) = history.exchanges(conversation)
    assert exchange.conversation_id == conversation and exchange.time.endswith("Z")
    assert (exchange.question, exchange.searched_question, exchange.answer) == (
        "When was DeepSeek launched?",
        "When was DeepSeek launched?",
        answer.answer,
    )
    assert exchange.abstained is False and exchange.confidence == 0.8 and exchange.timing_ms == 12.3
    assert exchange.index_path == "/idx"
    assert exchange.citations == [answer.citations[0].to_dict()]
    assert exchange.to_answer() == answer  # shown again exactly: short answer and highlights too
    data = exchange.to_dict()
    assert data["short_answer"] == "11 January 2025" and data["citations"][0]["source"] == "docs/facts.txt"


def test_located_citations_come_back_with_their_locator(history):
    answer = _answer("q")
    answer.citations = [PageCitation(1, "guide.pdf", 3, 4, "text", 0.5, 0, 4, 3, 4, page=12)]
    conversation = history.new_conversation()
    history.log(conversation, answer)
    (exchange,) = history.exchanges(conversation)
    assert exchange.to_answer().citations == answer.citations
    assert citation_label(exchange.citations[0]) == "guide.pdf#page=12:3-4"


def test_conversations_are_listed_latest_first_with_their_first_question(history):
    first = history.new_conversation()
    history.log(first, _answer("When was DeepSeek launched?"))
    second = history.new_conversation()
    history.log(second, _answer("Who founded it?"))
    history.new_conversation()  # nothing asked: not listed
    history.log(first, _answer("And its users?"))
    listed = history.conversations()
    assert [(c.id, c.turns, c.first_question) for c in listed] == [
        (first, 2, "When was DeepSeek launched?"),
        (second, 1, "Who founded it?"),
    ]
    assert history.latest() == first
    assert history.searched_questions(first) == ["When was DeepSeek launched?", "And its users?"]
    assert [c.id for c in history.conversations(limit=1)] == [first]


def test_search_finds_questions_answers_and_cited_passages(history):
    conversation = history.new_conversation()
    history.log(conversation, _answer("When was DeepSeek launched?"))
    history.log(conversation, _answer("Who is the CEO?", abstained=True))
    assert [e.question for e in history.search("ceo")] == ["Who is the CEO?"]
    assert [e.question for e in history.search("11 january")] == ["When was DeepSeek launched?"]
    assert [e.question for e in history.search("launched on")] == ["When was DeepSeek launched?"]  # the citation
    assert history.search("100%") == [] and history.search("_") == []  # LIKE wildcards are literal


def test_export_is_markdown_with_citations_and_quotes(history):
    conversation = history.new_conversation("/idx")
    history.log(conversation, _answer("When was DeepSeek launched?"))
    follow_up = _answer("And the users?")
    follow_up.citations[0].text = "line one\nline two"
    history.log(conversation, follow_up, "How many users does DeepSeek have?")
    history.log(conversation, _answer("Who is the CEO?", abstained=True))
    text = history.markdown(conversation)
    assert text.startswith(f"# Conversation {conversation}: When was DeepSeek launched?\n")
    assert "3 questions, index `/idx`." in text
    assert (
        "## When was DeepSeek launched?\n\n11 January 2025 — «x» [1]\n\n[1] `docs/facts.txt:1`\n\n> " + LAUNCH in text
    )
    assert "*Searched: How many users does DeepSeek have?*" in text
    assert "> line one\n> line two" in text
    assert "## Who is the CEO?\n\n*The documents don't say" in text


# Stored text that would act on a terminal or break a Markdown document: escapes (colour, clear screen,
# window title), a bidi override, a lone carriage return, backticks, and lines that open blocks.
HOSTILE_QUESTION = "When\x1b[31m was it\nlaunched? #"
HOSTILE_ANSWER = "Red\x1b[31m and \u202eright\u202c [1]\n```\n# Not a heading\r[1]: http://example.invalid\n<!-- all\n1. item *x* _y_ \\\n---"
HOSTILE_SOURCE = "docs/a`b``\nc\x1b]0;title\x07.txt"
HOSTILE_PASSAGE = "line one\x1b[2J\n> quote\n```\n    code\n- item"


def _log_hostile(history) -> int:
    conversation = history.new_conversation("/idx`s\nnew")
    answer = _answer(HOSTILE_QUESTION, text=HOSTILE_ANSWER)
    answer.citations = [Citation(1, HOSTILE_SOURCE, 1, 5, HOSTILE_PASSAGE, 0.9, 0, 4, 1, 5)]
    history.log(conversation, answer, "searched *with* `ticks`")
    history.log(conversation, _answer("Second question?"))
    return conversation


def test_a_damaged_stored_citation_is_shown_as_stored_not_raised(history):
    conversation = history.new_conversation("/idx")
    answer = _answer("Where?")
    answer.citations = [Citation(1, "docs/a.txt", 1, 2, "Some text.", 0.9)]
    history.log(conversation, answer)
    damaged = '[{"n": 1, "source": "docs/a.txt", "start_line": 1, "end_line": "x", "text": "Some text."}]'
    db = sqlite3.connect(history.path)  # a row damaged outside qa: a line that is no number
    db.execute("UPDATE exchanges SET citations = ?", (damaged,))
    db.commit()
    db.close()
    assert "docs/a.txt:1-x" in history.markdown(conversation)


def test_a_link_in_stored_text_is_shown_not_made(history):
    from markdown_it import MarkdownIt

    conversation = history.new_conversation("/idx")
    history.log(conversation, _answer("Where?", text="See [the guide](http://example.invalid/x) [1]"))
    tokens = MarkdownIt("commonmark").parse(history.markdown(conversation))
    children = [child for t in tokens if t.type == "inline" for child in t.children]
    assert not any(child.type == "link_open" for child in children)
    assert any("[the guide](http://example.invalid/x)" in child.content for child in children if child.type == "text")


def test_export_shows_stored_text_as_written_never_as_structure_or_escapes(history):
    from markdown_it import MarkdownIt

    from qa.text import UNSAFE_CHARACTERS

    text = history.markdown(_log_hostile(history))
    assert not any(UNSAFE_CHARACTERS.search(line) for line in text.split("\n"))
    assert "\\x1b[31m" in text and "\\u202e" in text  # shown, not acted on
    tokens = MarkdownIt("commonmark").parse(text)
    # The document's structure is its own: a title, one heading per question, paragraphs and quotes only.
    headings = [t.tag for t in tokens if t.type == "heading_open"]
    assert headings == ["h1", "h2", "h2"]
    assert {t.type for t in tokens} <= {
        "heading_open", "heading_close", "inline", "paragraph_open", "paragraph_close",
        "blockquote_open", "blockquote_close",
    }  # fmt: skip
    inline = [t for t in tokens if t.type == "inline"]
    # Each name is one code span holding it exactly (on one line, its controls escaped).
    spans = [child.content for t in inline for child in t.children if child.type == "code_inline"]
    assert spans == ["/idx`s new", "docs/a`b``%0Ac%1B]0;title%07.txt:1-5", "docs/facts.txt:1"]
    shown = [_shown(t) for t in inline]
    assert shown[2] == "When\\x1b[31m was it launched? #"  # the heading's closing "#" kept
    assert "Searched: searched *with* `ticks`" in shown
    answer = next(line for line in shown if line.startswith("Red"))
    assert answer == (
        "Red\\x1b[31m and \\u202eright\\u202c [1]\n```\n# Not a heading\n[1]: http://example.invalid\n<!-- all"
        "\n1. item *x* _y_ \\\n---"
    )  # every line as written, each on its own line, the controls escaped
    # The quoted passage likewise (a paragraph's indentation is the viewer's to drop).
    assert "line one\\x1b[2J\n> quote\n```\ncode\n- item" in shown


def _shown(inline) -> str:
    """What a Markdown viewer shows of an inline token: its text, code spans and line breaks."""
    return "".join("\n" if c.type == "softbreak" else c.content for c in inline.children)


def test_an_unknown_conversation_is_a_usage_error(history):
    with pytest.raises(UsageError, match="no conversation 7"):
        history.conversation(7)
    assert history.conversations() == [] and history.search("x") == [] and history.exchanges(7) == []


def test_reading_never_creates_the_database(tmp_path):
    history = History(tmp_path / "nothing" / "history.db")
    assert history.conversations() == [] and history.latest() is None
    assert not (tmp_path / "nothing").exists()


def test_the_database_is_versioned_and_in_wal_mode(history):
    history.log(history.new_conversation(), _answer("q"))
    with sqlite3.connect(history.path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == qa.history.SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_database_is_private_to_its_owner(history):
    history.log(history.new_conversation(), _answer("q"))
    assert history.path.stat().st_mode & 0o777 == 0o600
    assert history.path.parent.stat().st_mode & 0o777 == 0o700


def test_migration_applies_each_missing_step_in_order_and_keeps_the_data(history):
    conversation = history.new_conversation()
    history.log(conversation, _answer("When was DeepSeek launched?"))
    later = [*qa.history.MIGRATIONS, ["ALTER TABLE exchanges ADD COLUMN rating INTEGER NOT NULL DEFAULT 0"]]
    with sqlite3.connect(history.path) as db:
        assert migrate(db, later) == len(later)
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(later)
        assert db.execute("SELECT question, rating FROM exchanges").fetchall() == [("When was DeepSeek launched?", 0)]
        assert migrate(db, later) == len(later)  # nothing left to do


def test_a_newer_database_is_refused_untouched(tmp_path):
    path = tmp_path / "history.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE future (x)")
        db.execute("PRAGMA user_version = 99")
    before = path.read_bytes()
    history = History(path)
    for use in (
        history.new_conversation,
        history.conversations,
        history.latest,
        lambda: history.log(1, _answer("q")),
        lambda: history.search("q"),
        lambda: history.exchanges(1),
        lambda: history.markdown(1),
    ):
        with pytest.raises(HistoryUnavailable, match="schema version 99, written by a newer qa"):
            use()
        # Not even switched to WAL (a header write): the newer qa finds its file byte for byte as it left it.
        assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.db"]


def test_the_path_is_qa_history_else_the_user_data_folder(monkeypatch, tmp_path):
    import platformdirs

    assert Settings.from_env({"QA_HISTORY": str(tmp_path / "x.db")}).history_path == tmp_path / "x.db"
    user_data = Path(platformdirs.user_data_dir("qa", appauthor=False))
    assert Settings.from_env({}).history_path == user_data / "history.db"
    # QA_DATA_DIR moves the collections, not the history
    assert Settings.from_env({"QA_DATA_DIR": str(tmp_path)}).history_path == user_data / "history.db"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the user data folder follows XDG (platformdirs)
    assert Settings.from_env({}).history_path == tmp_path / "data" / "qa" / "history.db"
    monkeypatch.setenv("QA_HISTORY", str(tmp_path / "y.db"))
    assert History().path == tmp_path / "y.db"  # a History given no path: the environment's


def test_the_store_holds_no_pickle():
    source = Path(qa.history.__file__).read_text()
    assert "pickle" not in source.replace("nothing is unpickled", "")


# -- qa ask and qa history ------------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path):
    """The settings the commands are given: the history in h.db."""
    return Settings.from_env({"QA_HISTORY": str(tmp_path / "h.db")})


@pytest.fixture
def indexed(in_tmp_path, tmp_path, fake_models, settings, capsys):
    """Two facts indexed with the fake models into idx/; the test runs in tmp_path; the history in h.db."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "facts.txt").write_text(f"{LAUNCH}\n\n{USERS}\n")
    assert main(["index", "docs", "--index", "idx"], models=fake_models, settings=settings) == 0
    capsys.readouterr()
    return History(tmp_path / "h.db")


def _ask(capsys, settings, *args) -> dict:
    assert main(["ask", "--index", "idx", "--json", *args], models=fakes.MODELS, settings=settings) == 0
    out = capsys.readouterr().out
    return json.loads(out)


def test_ask_logs_each_answer_and_no_log_does_not(settings, indexed, capsys):
    answer = _ask(capsys, settings, "When was DeepSeek launched?")
    (conversation,) = indexed.conversations()
    (exchange,) = indexed.exchanges(conversation.id)
    assert exchange.question == "When was DeepSeek launched?" and exchange.answer == answer["answer"]
    assert exchange.citations == answer["citations"] and exchange.timing_ms > 0
    assert exchange.index_path == str(Path("idx").resolve())
    _ask(capsys, settings, "--no-log", "Another question about DeepSeek?")
    assert len(indexed.conversations()) == 1 and len(indexed.exchanges(conversation.id)) == 1
    _ask(capsys, settings, "When was DeepSeek launched?")  # without --continue: a new conversation
    assert len(indexed.conversations()) == 2


def test_continue_resolves_the_follow_up_against_the_latest_conversation(settings, indexed, capsys):
    _ask(capsys, settings, "When was DeepSeek launched?")
    alone = _ask(capsys, settings, "--no-log", "And how many daily users does it have?")
    assert alone["searched_question"] == "And how many daily users does it have?"
    followed = _ask(capsys, settings, "-c", "And how many daily users does it have?")
    assert followed["searched_question"] == "How many daily users does DeepSeek have?"
    (conversation,) = indexed.conversations()
    assert conversation.turns == 2
    assert indexed.searched_questions(conversation.id)[-1] == "How many daily users does DeepSeek have?"


def test_conversation_id_follows_up_on_that_one(settings, indexed, capsys):
    _ask(capsys, settings, "When was DeepSeek launched?")
    first = indexed.latest()
    _ask(capsys, settings, "How many daily users?")  # a second conversation, now the latest
    followed = _ask(capsys, settings, "--conversation", str(first), "What about its daily users?")
    assert "DeepSeek" in followed["searched_question"]
    assert indexed.conversation(first).turns == 2


def test_continue_with_no_history_starts_one(settings, indexed, capsys, fake_models):
    assert (
        main(
            ["ask", "--index", "idx", "--continue", "When was DeepSeek launched?"],
            models=fake_models,
            settings=settings,
        )
        == 0
    )
    assert "no earlier conversation to continue" in capsys.readouterr().err
    assert len(indexed.conversations()) == 1


def test_unknown_conversation_is_exit_2_before_loading(settings, indexed, capsys, fake_models):
    assert main(["ask", "--index", "idx", "--conversation", "42", "When?"], models=fake_models, settings=settings) == 2
    assert "no conversation 42" in capsys.readouterr().err
    assert (
        main(
            ["ask", "--index", "idx", "--json", "--conversation", "42", "When?"], models=fake_models, settings=settings
        )
        == 2
    )
    assert json.loads(capsys.readouterr().out)["code"] == 2


def test_continue_and_conversation_exclude_each_other(settings, indexed, capsys, fake_models):
    with pytest.raises(SystemExit) as caught:
        main(["ask", "--index", "idx", "-c", "--conversation", "1", "When?"], models=fake_models, settings=settings)
    assert caught.value.code == 2


def test_a_history_that_cannot_be_written_is_one_notice_and_the_answers_go_on(
    indexed, capsys, monkeypatch, tmp_path, fake_models
):
    (tmp_path / "afile").write_text("")
    unwritable = Settings.from_env({"QA_HISTORY": str(tmp_path / "afile" / "h.db")})  # its folder is a file
    questions = io.StringIO("When was DeepSeek launched?\nHow many daily users?\n")
    assert main(["ask", "--index", "idx", "--json", "-"], models=fake_models, settings=unwritable, stdin=questions) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2 and all(json.loads(line)["answer"] for line in captured.out.splitlines())
    assert captured.err.count("cannot open the history") == 1 and "not kept" in captured.err


def test_a_newer_history_does_not_stop_a_follow_up(settings, indexed, capsys, tmp_path, fake_models):
    with sqlite3.connect(tmp_path / "h.db") as db:
        db.execute("PRAGMA user_version = 99")
    assert (
        main(["ask", "--index", "idx", "-c", "When was DeepSeek launched?"], models=fake_models, settings=settings) == 0
    )
    captured = capsys.readouterr()
    assert "11 January 2025" in captured.out and "newer qa" in captured.err


def test_a_batch_is_one_conversation(settings, indexed, capsys, fake_models):
    questions = io.StringIO("When was DeepSeek launched?\nHow many daily users?\n")
    assert main(["ask", "--index", "idx", "-"], models=fake_models, settings=settings, stdin=questions) == 0
    capsys.readouterr()
    (conversation,) = indexed.conversations()
    assert conversation.turns == 2


def test_history_lists_searches_shows_and_exports(settings, indexed, capsys, fake_models):
    _ask(capsys, settings, "When was DeepSeek launched?")
    _ask(capsys, settings, "-c", "And how many daily users does it have?")
    _ask(capsys, settings, "Who is the CEO of Mistral?")
    ids = [c.id for c in indexed.conversations()]

    assert main(["history"], models=fake_models, settings=settings) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "TIME", "TURNS", "FIRST", "QUESTION"]
    assert lines[1].split()[0] == str(ids[0]) and lines[1].endswith("Who is the CEO of Mistral?")
    assert lines[2].split()[3] == "2" and lines[2].endswith("When was DeepSeek launched?")

    assert main(["history", "--json"], models=fake_models, settings=settings) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [c["id"] for c in listed] == ids and listed[1]["turns"] == 2
    assert set(listed[0]) == {"id", "started", "updated", "first_question", "turns", "index_path"}

    assert main(["history", "search", "daily users", "--json"], models=fake_models, settings=settings) == 0
    (found,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert found["conversation_id"] == ids[1]
    assert found["searched_question"] == "How many daily users does DeepSeek have?"
    assert main(["history", "search", "daily users"], models=fake_models, settings=settings) == 0
    assert "And how many daily users does it have?" in capsys.readouterr().out

    assert main(["history", "show", str(ids[1])], models=fake_models, settings=settings) == 0
    shown = capsys.readouterr().out
    assert "› When was DeepSeek launched?" in shown and "(searched: How many daily users does DeepSeek have?)" in shown
    assert "[1] docs/facts.txt:1" in shown
    assert main(["history", "--json", "show", str(ids[1])], models=fake_models, settings=settings) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == ids[1] and [e["question"] for e in data["exchanges"]] == [
        "When was DeepSeek launched?",
        "And how many daily users does it have?",
    ]

    assert main(["history", "export", str(ids[1])], models=fake_models, settings=settings) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith(f"# Conversation {ids[1]}: When was DeepSeek launched?")
    assert "`docs/facts.txt:1`" in markdown and f"> {LAUNCH}" in markdown
    assert main(["history", "export", str(ids[1]), "--json"], models=fake_models, settings=settings) == 0
    assert json.loads(capsys.readouterr().out) == data


def test_history_prints_no_stored_control_character(settings, capsys):
    """Whatever the documents, the LLM or a damaged database put in the history, `qa history` prints it
    through the one sanitiser: nothing reaches the terminal that it would act on."""
    from qa.text import UNSAFE_CHARACTERS

    history = History(settings.history_path)
    conversation = _log_hostile(history)
    with closing(sqlite3.connect(history.path)) as db, db:  # times no qa wrote
        db.execute("UPDATE exchanges SET created = ?", ("\x1b]0;pwned\x07 late",))
        db.execute("UPDATE conversations SET created = ?", ("\x1b[5m",))
    for command in (
        [],
        ["search", "launched"],
        ["search", "Red"],
        ["show", str(conversation)],
        ["export", str(conversation)],
        ["--json", "show", str(conversation)],
    ):
        assert main(["history", *command], settings=settings) == 0
        out = capsys.readouterr().out
        assert out and not any(UNSAFE_CHARACTERS.search(line) for line in out.split("\n")), (command, out)
        assert "\\x1b" in out or "\\u001b" in out, command  # shown, not dropped


def test_history_errors(settings, indexed, capsys, fake_models):
    assert main(["history"], models=fake_models, settings=settings) == 0
    assert "No conversations yet" in capsys.readouterr().out
    assert main(["history", "show", "3"], models=fake_models, settings=settings) == 2
    assert "no conversation 3" in capsys.readouterr().err
    assert main(["history", "export", "3", "--json"], models=fake_models, settings=settings) == 2
    assert json.loads(capsys.readouterr().out) == {"error": "no conversation 3: `qa history` lists them", "code": 2}
    assert main(["history", "show", "x", "--json"], models=fake_models, settings=settings) == 2
    assert json.loads(capsys.readouterr().out)["code"] == 2


def test_an_abstention_keeps_its_nearest_passages_apart_from_citations(history):
    conversation = history.new_conversation()
    nearest = [Citation(1, "docs/facts.txt", 1, 1, LAUNCH, 0.4), PageCitation(2, "guide.pdf", 3, 3, USERS, 0.2, page=2)]
    history.log(conversation, _answer("Who is the CEO?", abstained=True, nearest=nearest))
    (exchange,) = history.exchanges(conversation)
    assert exchange.citations == [] and [n["source"] for n in exchange.nearest] == ["docs/facts.txt", "guide.pdf"]
    again = exchange.to_answer()
    assert again.abstained and again.citations == [] and again.nearest == nearest
    data = history.to_dict(conversation)["exchanges"][0]
    assert data["citations"] == [] and data["nearest"][1]["page"] == 2
    text = history.markdown(conversation)
    assert (
        "*The documents don't say: no passage answers this question.*\n\nNearest passages (not an answer):\n\n"
        "[1] `docs/facts.txt:1`\n\n> " + LAUNCH in text
    )
    assert "[2] `guide.pdf#page=2:3`\n\n> " + USERS in text


def test_qa_history_show_lists_an_abstentions_nearest_passages(history, capsys):
    settings = Settings.from_env({"QA_HISTORY": str(history.path)})
    conversation = history.new_conversation()
    nearest = [Citation(1, "docs/facts.txt", 1, 1, LAUNCH, 0.4)]
    history.log(conversation, _answer("Who is the CEO?", abstained=True, nearest=nearest))
    assert main(["history", "show", str(conversation)], settings=settings) == 0
    out = capsys.readouterr().out
    assert "The documents don't say" in out
    assert "Nearest passages (not an answer):\n[1] docs/facts.txt:1\n    " + LAUNCH in out
