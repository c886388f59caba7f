"""Snapshots of the chat's main screens (pytest-textual-snapshot).

Deterministic: the fake engine of test_tui, a fixed 140x45 terminal, and a
document written to a fixed-named folder. Update after a deliberate change
with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at the
SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from chat_helpers import LAUNCH, SIZE, USERS, FakeEngine, answer_for, answered, llm_app, wait_until
from servers import fake_llm_server

from qa.history import History
from qa.tui.app import create_app
from qa.tui.widgets import QuestionInput, Turn


@pytest.fixture
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("docs")


@pytest.fixture
def llm_endpoint():
    with fake_llm_server() as state:
        yield state


def hold_still(pilot):
    """A blinking cursor would make the screen depend on the moment it is taken."""
    pilot.app.query_one(QuestionInput).cursor_blink = False


async def ask(pilot, question, count):
    hold_still(pilot)
    pilot.app.query_one(QuestionInput).value = question
    await pilot.press("enter")
    await wait_until(pilot, answered(pilot.app, count))
    await pilot.pause()


def test_answer_with_citation(snap_compare, root):
    async def run_before(pilot):
        await ask(pilot, "When was DeepSeek launched?", 1)

    assert snap_compare(create_app(FakeEngine(root)), terminal_size=SIZE, run_before=run_before)


def test_follow_up_and_second_citation(snap_compare, root):
    async def run_before(pilot):
        await ask(pilot, "When was DeepSeek launched?", 1)
        await ask(pilot, "And how many daily users does it have?", 2)
        await pilot.press("ctrl+n")
        await pilot.pause()

    assert snap_compare(create_app(FakeEngine(root)), terminal_size=SIZE, run_before=run_before)


def test_not_in_the_documents_and_literal_text(snap_compare, root):
    async def run_before(pilot):
        await ask(pilot, "Show the brackets", 1)
        await ask(pilot, "Who is the president of France?", 2)

    assert snap_compare(create_app(FakeEngine(root)), terminal_size=SIZE, run_before=run_before)


def test_loading_with_a_queued_question(snap_compare, root):
    gate = threading.Event()  # never set: the engine stays loading
    app = create_app(FakeEngine(root, gate=gate))

    async def run_before(pilot):
        hold_still(pilot)
        await wait_until(pilot, lambda: "loading the encoders" in str(app.query_one("#status-label").content))
        pilot.app.query_one(QuestionInput).value = "When was DeepSeek launched?"
        await pilot.press("enter")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    finally:
        gate.set()


def test_keys_screen(snap_compare, root):
    async def run_before(pilot):
        hold_still(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(create_app(FakeEngine(root)), terminal_size=SIZE, run_before=run_before)


def test_answer_at_80_columns(snap_compare, root):
    """The smallest usual terminal, 80x24 (issue 12): the footer's keys all shown whole, beside the palette's."""

    async def run_before(pilot):
        await ask(pilot, "When was DeepSeek launched?", 1)

    assert snap_compare(create_app(FakeEngine(root)), terminal_size=(80, 24), run_before=run_before)


def test_keys_screen_at_80_columns(snap_compare, root):
    """Every key on one line; the text below them scrolls, and the border says how to close."""

    async def run_before(pilot):
        hold_still(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(create_app(FakeEngine(root)), terminal_size=(80, 24), run_before=run_before)


def test_generated_answer_draft(snap_compare, root, llm_endpoint):
    """The LLM's draft while it streams: visibly provisional."""
    llm_endpoint.hold = threading.Event()  # the stream stops after two pieces
    app = llm_app(root, llm_endpoint.url)

    async def run_before(pilot):
        hold_still(pilot)
        await wait_until(pilot, lambda: app.state == "ready")
        pilot.app.query_one(QuestionInput).value = "When was DeepSeek launched?"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(t.draft.startswith("DeepSeek was") for t in app.query(Turn)))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_generated_answer_verified_and_refused(snap_compare, root, llm_endpoint):
    app = llm_app(root, llm_endpoint.url)

    async def run_before(pilot):
        await wait_until(pilot, lambda: app.state == "ready")
        await ask(pilot, "When was DeepSeek launched?", 1)
        llm_endpoint.reply = "DeepSeek was launched on January 20, 2025 [1]."
        await ask(pilot, "When was DeepSeek launched?", 2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def _stored(day: int, hour: int, minute: int) -> str:
    """The UTC time History stores for this local time of November 2026: shown as it reads in any time zone."""
    return datetime(2026, 11, day, hour, minute).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_conversations_list(snap_compare, root):
    """ctrl+o: the past conversations, the latest first, the current one marked."""
    moments = iter(_stored(day, hour, minute) for day in (27, 28, 29) for hour in (9, 14) for minute in (5, 10, 20, 40))
    history = History(root / "history.db", clock=lambda: next(moments))
    launch = answer_for("When was DeepSeek launched?", "When was DeepSeek launched?", "11 janvier 2025", LAUNCH)
    users = answer_for(
        "And how many daily users does it have?", "How many daily users does DeepSeek have?", "22,15 millions", USERS
    )
    first = history.new_conversation()
    history.log(first, launch)
    history.log(first, users, users.searched_question)
    second = history.new_conversation()
    long_question = answer_for(
        "Which line of the document has [bold]brackets[/bold] and an escape character, and what does the rest of that rather long line say about colours?",
        "brackets",
        "x",
        LAUNCH,
    )
    history.log(second, long_question)
    app = create_app(FakeEngine(root), history=history, conversation_id=first)

    async def run_before(pilot):
        hold_still(pilot)
        await wait_until(pilot, lambda: app.state == "ready" and app.selected is not None)
        await pilot.press("ctrl+o")
        app.screen.query_one("#conversation-filter").cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_changed_cited_file_offers_a_refresh(snap_compare, root, fake_models, monkeypatch):
    """The cited file changed since indexing (issue 11), here from F4: the panel shows the indexed text and
    says so, a notice offers F5."""
    from qa.api import Engine
    from qa.cli import main

    notes = root / "notes.txt"
    notes.write_text("The lighthouse of Brest was built in 1921.\n", encoding="utf-8")
    assert main(["index", str(notes), "--index", str(root / "idx")], models=fake_models) == 0
    editor = root / "editor.sh"
    editor.write_text('#!/bin/sh\nfor last; do :; done\necho "It was run by the navy." >> "$last"\n')
    editor.chmod(0o755)
    app = create_app(Engine(index_dir=root / "idx", models=fake_models), environ={"EDITOR": str(editor)})

    async def run_before(pilot):
        hold_still(pilot)
        await wait_until(pilot, lambda: app.state == "ready")
        await ask(pilot, "When was the lighthouse of Brest built?", 1)
        await pilot.press("f4")
        await wait_until(pilot, lambda: app.stale)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_multi_line_paste_at_80_columns(snap_compare, root):
    """A question pasted over three lines is in the box whole, on one line, ready to be asked."""
    from textual import events

    async def run_before(pilot):
        hold_still(pilot)
        await wait_until(pilot, lambda: pilot.app.state == "ready")
        pilot.app.query_one(QuestionInput).post_message(events.Paste("When was\nDeepSeek\nlaunched?"))
        await pilot.pause()

    assert snap_compare(create_app(FakeEngine(root)), terminal_size=(80, 24), run_before=run_before)
