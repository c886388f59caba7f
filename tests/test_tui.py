"""The chat app, driven with Textual's Pilot.

Most tests use ``FakeEngine``: the engine's interface (prepare, answer, index)
over a small document written to a temporary folder, so they run in well under
a second each and show real files in the citations panel. One test, marked
``model``, uses the real engine on the seeds.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import fakes
import pytest
from chat_helpers import (
    BRACKETS,
    DOCUMENT,
    LAUNCH,
    SIZE,
    SOURCE,
    USERS,
    FakeEngine,
    answer_for,
    answered,
    ask,
    citation,
    everything_shown,
    llm_app,
    make_app,
    panel_text,
    text_of,
    wait_until,
)
from servers import SECRET, fake_llm_server, free_port
from textual.widgets import Markdown, OptionList, Static

from qa.config import Settings
from qa.errors import IndexUnavailable
from qa.history import History
from qa.llm import LLMSettings
from qa.text import UNSAFE_CHARACTERS
from qa.tui.app import create_app
from qa.tui.conversations import ConversationsScreen
from qa.tui.help import HelpScreen
from qa.tui.widgets import DRAFT_LABEL, CitationPanel, LoadStatus, QuestionInput, Turn

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_ask_shows_answer_and_citation(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready", what="the engine")
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app), what="the answer")
        turn = app.query_one(Turn)
        assert "11 janvier 2025" in turn.query_one(Markdown).source
        assert "notes/deepseek.txt:2" in text_of(turn.query_one(".sources", Static))
        shown = panel_text(app)
        assert "notes/deepseek.txt:2" in shown and "11 janvier 2025" in shown
        assert "DeepSeek en bref" in shown  # the line before the passage, for context
        assert app.focused is app.query_one(QuestionInput)
        assert app.query_one(QuestionInput).value == ""


async def test_follow_up_is_resolved_and_shown(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        await ask(pilot, "And how many daily users does it have?")
        await wait_until(pilot, answered(app, 2))
        follow_up = list(app.query(Turn))[1]
        assert app.engine.asked[1] == (
            "And how many daily users does it have?",
            "How many daily users does DeepSeek have?",
        )
        assert "searched: How many daily users does DeepSeek have?" in text_of(follow_up.query_one(".searched"))
        assert "22,15 millions" in follow_up.query_one(Markdown).source
        assert app.selected is follow_up


async def test_question_typed_while_loading_is_answered_when_ready(tmp_path):
    gate = threading.Event()
    app = make_app(tmp_path, gate=gate)
    async with app.run_test(size=SIZE) as pilot:
        assert app.query_one(LoadStatus).display
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, lambda: "Queued" in text_of(app.query_one(".turn .status", Static)))
        assert app.state == "loading" and app.engine.asked == []
        gate.set()
        await wait_until(pilot, answered(app), what="the queued answer")
        assert not app.query_one(LoadStatus).display


async def test_citation_navigation(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        assert app.citation_index == 0
        await pilot.press("ctrl+n")
        assert app.citation_index == 1
        assert "[2] notes/deepseek.txt:2" in panel_text(app)
        await pilot.press("ctrl+n", "ctrl+n")
        assert app.citation_index == 0  # wraps around
        await pilot.press("ctrl+b")
        assert app.citation_index == 2
        assert "[3] notes/deepseek.txt:3" in panel_text(app)


async def test_selecting_an_earlier_answer(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        await ask(pilot, "Who wrote the brackets line?")
        await wait_until(pilot, answered(app, 2))
        first, second = app.query(Turn)
        assert app.selected is second
        await pilot.press("ctrl+up")
        assert app.selected is first
        await pilot.click(second)
        assert app.selected is second


async def test_document_text_is_shown_literally(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "Show the brackets")
        await wait_until(pilot, answered(app))
        shown = panel_text(app)
        assert "[bold]crochets[/bold]" in shown  # not markup
        assert "\x1b" not in shown and "␛[31m" in shown  # the escape is shown, not sent
        markdown = app.query_one(Turn).query_one(Markdown)
        assert "\x1b" not in markdown.source
        rendered = " ".join(str(block._content) for block in markdown.children if hasattr(block, "_content"))
        assert "[bold]crochets[/bold]" in rendered


async def test_not_in_the_documents_looks_different(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "Who is the president of France?")
        await wait_until(pilot, answered(app))
        turn = app.query_one(Turn)
        assert not turn.query(Markdown)
        assert "Not in the documents" in text_of(turn.query_one(".abstained", Static))
        assert "do not answer" in panel_text(app)


async def test_an_abstention_shows_its_nearest_passages_marked_as_no_answer(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "Who founded DeepSeek?")
        await wait_until(pilot, answered(app))
        turn = app.query_one(Turn)
        assert not turn.query(Markdown) and "Not in the documents" in text_of(turn.query_one(".abstained", Static))
        listed = text_of(turn.query_one(".nearest", Static))
        assert "Nearest passages (not an answer):" in listed and f"[1] {SOURCE}:" in listed and "[2]" in listed
        panel = app.query_one(CitationPanel)
        assert panel.border_title == "Nearest passage 1 of 2 — not an answer"
        assert LAUNCH[:40] in panel_text(app)
        await pilot.press("ctrl+n")
        assert panel.border_title == "Nearest passage 2 of 2 — not an answer"
        assert USERS[:40] in panel_text(app)


async def test_clear_empties_the_conversation(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: not app.query(Turn))
        assert app.conversation.searched == [] and app.selected is None
        assert "ask a question" in panel_text(app)
        # Follow-ups start afresh: nothing to resolve "it" against.
        await ask(pilot, "And how many daily users does it have?")
        await wait_until(pilot, answered(app))
        assert app.engine.asked[-1] == ("And how many daily users does it have?", None)


async def test_history_recall(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "first question")
        await ask(pilot, "second question")
        box = app.query_one(QuestionInput)
        await pilot.press("u", "p")
        await pilot.press("up")
        assert box.value == "second question"
        await pilot.press("up", "up")
        assert box.value == "first question"
        await pilot.press("down", "down")
        assert box.value == "up"  # the draft comes back


async def test_help_with_f1_and_question_mark(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("W", "h", "y", "question_mark")  # "?" ends a question: no help
        assert not isinstance(app.screen, HelpScreen)
        assert app.query_one(QuestionInput).value == "Why?"


def _help_row_names(key: str, rows: list[str]) -> bool:
    """Whether a row of the keys screen names ``key`` (a binding's key, as ctrl+n or shift+pagedown)."""
    names = {"enter": "Enter", "escape": "Esc", "pageup": "PageUp", "pagedown": "PageDown"}
    names |= {f"f{n}": f"F{n}" for n in range(1, 13)}
    names |= {"up": "↑", "down": "↓"}
    modifier, _, base = key.rpartition("+")
    return any(names.get(base, base) in row and (not modifier or f"{modifier}+" in row) for row in rows)


async def test_the_footer_fits_80_columns_and_the_keys_screen_lists_every_key(tmp_path):
    """At 80x24 (issue 12) no key of the footer is cut or hidden under the palette's; F1 lists them all, and more."""
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    from qa.tui.app import ChatApp
    from qa.tui.help import KEYS

    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        await pilot.pause()
        shown = sorted(app.query_one(Footer).query(FooterKey), key=lambda k: k.region.x)
        descriptions = [k.description for k in shown]
        assert set(descriptions) == {"Citations", "LLM", "New chat", "Chats", "Keys", "Quit", "palette"}, descriptions
        for key, after in zip(shown, shown[1:] + [None], strict=True):
            assert key.region.width > len(key.description) and key.region.right <= 80, (key.description, key.region)
            assert after is None or key.region.right <= after.region.x, (key.description, after.description)
        rows = [f"{keys} {action}" for keys, action in KEYS]
        for binding in [*ChatApp.BINDINGS, *QuestionInput.BINDINGS]:
            if binding.key == "ctrl+j":  # Enter as it arrives when typed before the chat is up: not a key to learn
                continue
            for key in binding.key.split(","):
                assert _help_row_names(key, rows), key
        await pilot.press("f1")
        await pilot.pause()
        box = app.screen.query_one("#help")
        assert box.region.right <= 80 and box.region.bottom <= 24, box.region
        assert box.border_subtitle == "Esc closes this list"
        # Each key on one line: the widest key, the gap, the longest description fit beside the scroll bar.
        widest = max(len(keys) for keys, _ in KEYS) + 2 + max(len(action) for _, action in KEYS)
        assert widest <= box.scrollable_content_region.width, (widest, box.scrollable_content_region)


async def test_load_error_is_a_notification(tmp_path):
    app = make_app(tmp_path, fail="no index in /x: build one with `qa index FOLDER --index /x`")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "failed")
        messages = [n.message for n in app._notifications]
        assert any("build one with `qa index" in m for m in messages)
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, lambda: "qa index" in text_of(app.query_one(".turn .status", Static)))


async def test_palette_offers_the_actions(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE):
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Keys", "New conversation", "Conversations", "Next citation", "Previous citation", "Quit"} <= titles
        assert {"Copy the citation", "Open the cited file"} <= titles


async def test_ctrl_q_quits_with_status_zero(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running)
    assert app.return_code == 0


def test_core_api_imports_no_textual():
    code = "import sys, qa.api, qa.conversation; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.model
async def test_real_engine_on_the_seeds():
    from qa.api import Engine

    app = create_app(Engine())
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app), timeout=300, what="the first answer (or the index build)")
        turn = app.query_one(Turn)
        assert "11 janvier 2025" in turn.query_one(Markdown).source
        assert "000_aae807d8bfaf3f60.txt" in panel_text(app)
        await ask(pilot, "And how many daily users does it have?")
        await wait_until(pilot, answered(app, 2), timeout=60, what="the follow-up")
        follow_up = list(app.query(Turn))[1]
        assert "22,15 millions" in follow_up.query_one(Markdown).source
        assert "DeepSeek" in follow_up.searched
        await pilot.press("ctrl+q")
    assert app.return_code == 0


def test_printable_keeps_offsets_and_shows_controls():
    from qa.tui.literal import markdown_literal, printable

    raw = "a\x1b[31mb\x07\u202ec\td"
    shown = printable(raw)
    assert len(shown) == len(raw) and shown == "a␛[31mb␇\ufffdc\td"
    assert markdown_literal("*[x](y)* `z`") == r"\*\[x\]\(y\)\* \`z\`"


def test_context_falls_back_to_the_indexed_text_when_the_file_changed(tmp_path):
    from qa.tui.context import context_lines

    FakeEngine(tmp_path)
    cited = citation(1, USERS)
    (tmp_path / SOURCE).write_text(DOCUMENT.replace("22,15", "99,99"), encoding="utf-8")
    rows = context_lines(cited, tmp_path, [(0, 3)])
    assert "changed" in rows[0][1].plain and rows[1][1].plain == USERS
    rows = context_lines(citation(1, USERS), tmp_path / "elsewhere", [])
    assert rows[1][1].plain == USERS


def test_context_shows_the_lines_around_the_passage(tmp_path):
    from qa.tui.context import ANSWER_STYLE, context_lines

    FakeEngine(tmp_path)
    cited = citation(1, USERS)
    start = USERS.index("22,15 millions")
    rows = context_lines(cited, tmp_path, [(start, start + len("22,15 millions"))])
    assert [number for number, _ in rows] == [1, 2, 3]
    line = rows[1][1]
    highlighted = [line.plain[s.start : s.end] for s in line.spans if str(s.style) == ANSWER_STYLE]
    assert highlighted == ["22,15 millions"]


def test_context_of_pdf_html_and_docx_citations_is_read_from_their_extracted_text(tmp_path):
    """Their lines are those of the extracted text (a PDF's from its page), not the file's bytes: never "changed"."""
    from rich_documents import make_docx, make_html, make_pdf

    from qa.answering import passage_citation
    from qa.documents import file_passages
    from qa.tui.context import PASSAGE_STYLE, context_lines

    make_pdf(tmp_path / "handbook.pdf")
    make_docx(tmp_path / "report.docx")
    make_html(tmp_path / "guide.html")
    for name in ("handbook.pdf", "guide.html", "report.docx"):
        passages = file_passages(tmp_path / name, name)
        assert passages
        for n, passage in enumerate(passages, start=1):
            cited = passage_citation(n, passage, 0.5)
            rows = context_lines(cited, tmp_path, [])
            assert rows[0][0] != 0, (name, cited, rows[0][1].plain)  # no note that the file changed
            numbers = [number for number, _ in rows]
            assert cited.start_line in numbers and cited.end_line in numbers, (name, cited, numbers)
            underlined = [
                line.plain[s.start : s.end] for _, line in rows for s in line.spans if str(s.style) == PASSAGE_STYLE
            ]
            assert " ".join(underlined).split() == cited.text.split(), (name, cited.text, underlined)
    assert any(
        passage_citation(1, p, 0.5).to_dict().get("page") == 3 for p in file_passages(tmp_path / "handbook.pdf", "h")
    )
    # A PDF citation without its page cannot be placed: the indexed text, with the note.
    cited = passage_citation(1, file_passages(tmp_path / "handbook.pdf", "handbook.pdf")[-1], 0.5)
    cited.page = 9
    assert "changed" in context_lines(cited, tmp_path, [])[0][1].plain


async def test_the_question_box_keeps_focus(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        for target in ("#citations", "#transcript", Turn):
            await pilot.click(target)
            assert app.focused is app.query_one(QuestionInput)
        await pilot.press("tab")
        assert app.focused is app.query_one(QuestionInput)


# -- generated answers (qa chat --llm-url) -------------------------------------------
# A small OpenAI-compatible server on 127.0.0.1 that streams a fixed reply (the one of
# test_llm_client): no model, no network, but the real HTTP client and the real check.


@pytest.fixture
def llm_endpoint():
    with fake_llm_server() as state:
        yield state


async def test_generated_answer_streams_a_draft_then_the_verified_answer(tmp_path, llm_endpoint):
    llm_endpoint.hold = threading.Event()
    app = llm_app(tmp_path, llm_endpoint.url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        assert "generated answers" in app.sub_title
        await ask(pilot, "When was DeepSeek launched?")
        turn = app.query_one(Turn)
        await wait_until(pilot, lambda: "DeepSeek was" in turn.draft, what="the streamed draft")
        draft = text_of(turn.query_one(".draft", Static))
        assert DRAFT_LABEL in draft and "DeepSeek was" in draft  # visibly provisional
        assert turn.answer is None and app.answering and not turn.query(Markdown)
        llm_endpoint.hold.set()
        await wait_until(pilot, answered(app), what="the verified answer")
        assert turn.answer.answered_by == "llm" and turn.notice is None
        assert turn.query_one(Markdown).source == r"DeepSeek was launched on January 11, 2025 \[1\]\."
        assert not turn.query(".draft") and "Written by the LLM" in text_of(turn.query_one(".generated", Static))
        shown = panel_text(app)
        assert "notes/deepseek.txt:2" in shown and "11 janvier 2025" in shown  # the passage, verbatim
        request = llm_endpoint.requests[0]
        assert request["model"] == "fake-model" and LAUNCH in request["messages"][-1]["content"]
        assert llm_endpoint.headers[-1]["Authorization"] == f"Bearer {SECRET}"
        assert SECRET not in everything_shown(app)


async def test_refused_llm_answer_shows_the_extractive_one_with_the_reason(tmp_path, llm_endpoint):
    llm_endpoint.reply = "DeepSeek was launched on January 20, 2025 [1]."
    app = llm_app(tmp_path, llm_endpoint.url)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        turn = app.query_one(Turn)
        assert turn.answer.answered_by == "extractive"
        assert "11 janvier 2025" in turn.query_one(Markdown).source
        notice = text_of(turn.query_one(".llm-notice", Static))
        assert "January 20, 2025" in notice and "extractive" in notice and notice.count("\n") == 1
        assert not turn.query(".draft") and not turn.query(".generated")
        assert SECRET not in everything_shown(app)


async def test_endpoint_down_gives_the_extractive_answer_with_a_notice(tmp_path):
    app = llm_app(tmp_path, f"http://127.0.0.1:{free_port()}/v1")
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        turn = app.query_one(Turn)
        assert turn.answer.answered_by == "extractive" and "11 janvier 2025" in turn.query_one(Markdown).source
        assert "Cannot reach the LLM endpoint" in text_of(turn.query_one(".llm-notice", Static))


async def test_abstention_does_not_ask_the_llm(tmp_path, llm_endpoint):
    app = llm_app(tmp_path, llm_endpoint.url)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "Who is the president of France?")
        await wait_until(pilot, answered(app))
        assert app.query_one(Turn).answer.abstained and llm_endpoint.requests == []
        assert not app.query(".llm-notice")


async def test_ctrl_g_switches_between_generated_and_extractive(tmp_path, llm_endpoint):
    app = llm_app(tmp_path, llm_endpoint.url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        await pilot.press("ctrl+g")
        assert not app.generate and app.sub_title == "ready"
        assert any("Extractive answers" in n.message for n in app._notifications)
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        assert app.query_one(Turn).answer.answered_by == "extractive" and llm_endpoint.requests == []
        await pilot.press("ctrl+g")
        assert app.generate and "generated" in app.sub_title
        assert any("Generated answers" in n.message and "fake-model" in n.message for n in app._notifications)
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app, 2))
        assert list(app.query(Turn))[1].answer.answered_by == "llm" and len(llm_endpoint.requests) == 1
        assert SECRET not in everything_shown(app)


async def test_ctrl_g_without_an_endpoint_says_how_to_set_one(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        await pilot.press("ctrl+g")
        assert not app.generate and app.sub_title == "ready"
        assert any("--llm-url" in n.message for n in app._notifications)


async def test_clear_during_a_generation_drops_it(tmp_path, llm_endpoint):
    llm_endpoint.hold = threading.Event()
    app = llm_app(tmp_path, llm_endpoint.url)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, lambda: any(t.draft for t in app.query(Turn)), what="the draft")
        await pilot.press("ctrl+l")
        llm_endpoint.hold.set()
        await wait_until(pilot, lambda: not app.answering, what="the cancelled generation")
        assert not app.query(Turn)
        await ask(pilot, "When was DeepSeek launched?")  # the next question is answered as usual
        await wait_until(pilot, answered(app))
        assert app.query_one(Turn).answer.answered_by == "llm"


async def test_keys_and_palette_offer_the_switch(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "Generated or extractive answers" in titles
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert any("ctrl+g" in text_of(w) for w in app.screen.query(Static))


def test_chat_command_passes_the_llm_settings(cli):
    seen = {}

    def chat(engine, llm=None, **kept):
        seen["llm"] = llm
        return 0

    secret = {"QA_LLM_API_KEY": SECRET}
    cli.invoke("chat", "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "m", env=secret, terminal=True, chat=chat)
    llm = seen["llm"]
    assert (llm.url, llm.model, llm.api_key) == ("http://127.0.0.1:9/v1", "m", SECRET)
    seen.clear()
    cli.invoke("chat", env=secret, terminal=True, chat=chat)
    assert seen["llm"] is None
    seen.clear()
    cli.invoke("chat", env={**secret, "QA_LLM_URL": "http://127.0.0.1:9/v1"}, terminal=True, chat=chat)
    assert seen["llm"].url == "http://127.0.0.1:9/v1"


async def test_second_try_as_a_completion_starts_a_new_draft(tmp_path, llm_endpoint):
    llm_endpoint.reply = "Orvane opened its first shop on March 3, 1999 [2]."  # refused: a copied example
    llm_endpoint.completion_reply = "DeepSeek was launched on January 11, 2025 [1]."
    app = llm_app(tmp_path, llm_endpoint.url)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        turn = app.query_one(Turn)
        assert turn.answer.answered_by == "llm" and turn.draft == llm_endpoint.completion_reply  # not both replies
        assert llm_endpoint.paths == ["/v1/chat/completions", "/v1/completions"]


# -- a generation can be stopped; a trickling server does not block the chat (issue 14, class 8) -----


@pytest.mark.parametrize("mode", ["drip-stream", "drip-json", "drip-headers"])
async def test_esc_stops_a_generation_and_the_next_question_is_answered(tmp_path, llm_endpoint, mode):
    llm_endpoint.mode = mode
    app = llm_app(tmp_path, llm_endpoint.url)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, lambda: any(t.query(".draft") for t in app.query(Turn)), what="the draft")
        await pilot.press("escape")
        await wait_until(pilot, answered(app), timeout=5, what="the stopped generation")
        turn = app.query_one(Turn)
        assert turn.answer.answered_by == "extractive" and "cancelled" in everything_shown(app)
        llm_endpoint.mode = "stream"
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app, 2), timeout=5, what="the next answer")
        assert list(app.query(Turn))[-1].answer.answered_by == "llm"


async def test_a_trickling_server_is_given_up_at_the_llm_timeout(tmp_path, llm_endpoint):
    llm_endpoint.mode = "drip-stream"
    app = create_app(FakeEngine(tmp_path), llm=LLMSettings(url=llm_endpoint.url, model="m", timeout=1.0))
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await ask(pilot, "When was DeepSeek launched?")  # queued behind the first
        await wait_until(pilot, answered(app, 2), timeout=6, what="both answers")
        assert all(t.answer.answered_by == "extractive" for t in app.query(Turn))
        assert "took longer than 1 s" in everything_shown(app)


# -- notifications show file names and messages literally (issue 14, class 7) ----------------------

HOSTILE = [
    "new\x1b]0;PWNED\x07\x1b[2J.txt",
    "rtl\u202etxt.exe",
    "csi\x9b2Jname.md",
    "bad byte \udcff.txt",
    "[bold red]markup[/bold red].txt",
]


class NoisyEngine(FakeEngine):
    """Says what a real engine says while loading, about files with hostile names."""

    def __init__(self, root, fail_with: str | None = None):
        super().__init__(root)
        self.fail_with = fail_with

    def prepare(self, notice=None, progress=None):
        for name in HOSTILE:
            notice(f"skipped {name}: not a text file")
        if self.fail_with:
            raise IndexUnavailable(f"cannot read the index in {self.fail_with}")

    def answer(self, question, top_k=3, searched_question=None, notice=None):
        if "fail" in question:
            raise IndexUnavailable(f"{HOSTILE[0]} changed: rebuild the index")
        return super().answer(question, top_k, searched_question, notice)


def _assert_literal(text: str) -> None:
    assert not UNSAFE_CHARACTERS.search(text), repr(text)


async def test_load_notifications_show_file_names_literally(tmp_path):
    app = create_app(NoisyEngine(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        await wait_until(pilot, lambda: len(app._notifications) >= len(HOSTILE))
        messages = [n.message for n in app._notifications]
        for message in messages:
            _assert_literal(message)
        assert any("new␛]0;PWNED␇␛[2J.txt" in m for m in messages)
        assert any("[bold red]markup[/bold red].txt" in m for m in messages)  # markup shown, not applied
        assert all(not n.markup for n in app._notifications)


async def test_error_notifications_show_paths_literally(tmp_path):
    app = create_app(NoisyEngine(tmp_path, fail_with=f"idx/{HOSTILE[0]}"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "failed")
        for notification in app._notifications:
            _assert_literal(notification.message)
            _assert_literal(notification.title)
    app = create_app(NoisyEngine(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        await ask(pilot, "please fail")
        await wait_until(pilot, lambda: not app.answering and any("rebuild" in n.message for n in app._notifications))
        for notification in app._notifications:
            _assert_literal(notification.message)


async def test_cache_notice_goes_to_the_chat(tmp_path):
    import qa.embedding

    app = create_app(FakeEngine(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        qa.embedding._cache_notice(f"the prepared weights in {HOSTILE[0]} failed their content check")
        await wait_until(pilot, lambda: any("content check" in n.message for n in app._notifications))
        for notification in app._notifications:
            _assert_literal(notification.message)
    assert qa.embedding._cache_notice is qa.embedding._stderr_notice  # given back when the chat closes


# -- conversations kept (qa.history) ------------------------------------------------------


def history_app(tmp_path, **kwargs):
    history = History(tmp_path / "history.db")
    return create_app(FakeEngine(tmp_path), history=history, **kwargs), history


async def test_answers_are_logged_to_one_conversation(tmp_path):
    app, history = history_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        await ask(pilot, "And how many daily users does it have?")
        await wait_until(pilot, answered(app, 2))
    (conversation,) = history.conversations()
    assert conversation.id == app.conversation_id
    first, second = history.exchanges(conversation.id)
    assert (first.question, first.searched_question) == ("When was DeepSeek launched?", "When was DeepSeek launched?")
    assert second.searched_question == "How many daily users does DeepSeek have?"
    assert second.citations[0]["source"] == SOURCE and second.answer.startswith("22,15 millions")
    assert first.timing_ms >= 0 and second.extra["short_answer"] == "22,15 millions"


async def test_ctrl_l_starts_a_new_conversation_and_keeps_the_old_one(tmp_path):
    app, history = history_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        old = app.conversation_id
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: not app.query(Turn))
        assert app.conversation_id is None and app.conversation.searched == []
        assert any("previous one" in n.message and "ctrl+o" in n.message for n in app._notifications)
        await ask(pilot, "Show the brackets")
        await wait_until(pilot, answered(app))
        assert app.conversation_id not in (None, old)
    assert [c.first_question for c in history.conversations()] == ["Show the brackets", "When was DeepSeek launched?"]


async def test_ctrl_o_reopens_a_conversation_and_its_follow_ups_go_on(tmp_path):
    app, history = history_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        old = app.conversation_id
        await pilot.press("ctrl+l")
        await ask(pilot, "Show the brackets")
        await wait_until(pilot, answered(app))
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, ConversationsScreen)
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2 and app.focused is app.screen.query_one("#conversation-filter")
        assert "(this one)" in str(options.get_option_at_index(0).prompt)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.conversation_id == old and len(app.query(Turn)) == 1)
        assert not isinstance(app.screen, ConversationsScreen)
        turn = app.query_one(Turn)
        assert turn.question == "When was DeepSeek launched?" and "11 janvier 2025" in turn.query_one(Markdown).source
        assert app.selected is turn and "11 janvier 2025" in panel_text(app)
        assert app.focused is app.query_one(QuestionInput)
        await ask(pilot, "And how many daily users does it have?")  # resolved against the reopened question
        await wait_until(pilot, answered(app, 2))
        assert app.engine.asked[-1][1] == "How many daily users does DeepSeek have?"
        await pilot.press("up", "up")
        assert app.query_one(QuestionInput).value == "When was DeepSeek launched?"  # its questions recalled too
    assert history.conversation(old).turns == 2 and len(history.conversations()) == 2


async def test_ctrl_o_closes_with_esc_and_says_when_there_is_nothing(tmp_path):
    app, _history = history_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, ConversationsScreen)
        assert "No conversations yet" in text_of(app.screen.query_one("#conversations-empty", Static))
        await pilot.press("escape")
        assert not isinstance(app.screen, ConversationsScreen)
        await pilot.press("ctrl+o")
        await pilot.press("ctrl+o")  # the same key closes it
        assert not isinstance(app.screen, ConversationsScreen)


async def test_a_conversation_reopened_at_the_start(tmp_path):
    history = History(tmp_path / "history.db")
    conversation = history.new_conversation()
    history.log(
        conversation,
        answer_for("When was DeepSeek launched?", "When was DeepSeek launched?", "11 janvier 2025", LAUNCH),
    )
    app = create_app(FakeEngine(tmp_path), history=history, conversation_id=conversation)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready" and app.selected is not None)
        # The reopened answer's cited file is read off the UI thread: the panel says so, then shows it.
        await wait_until(pilot, lambda: "DeepSeek en bref" in panel_text(app))
        assert "notes/deepseek.txt:2" in panel_text(app)
        await ask(pilot, "And how many daily users does it have?")
        await wait_until(pilot, answered(app, 2))
    assert history.conversation(conversation).turns == 2


async def test_no_log_lists_and_reopens_but_keeps_nothing(tmp_path):
    history = History(tmp_path / "history.db")
    old = history.new_conversation()
    history.log(
        old, answer_for("When was DeepSeek launched?", "When was DeepSeek launched?", "11 janvier 2025", LAUNCH)
    )
    app = create_app(FakeEngine(tmp_path), history=history, keep=False)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "Show the brackets")
        await wait_until(pilot, answered(app))
        await pilot.press("ctrl+o", "enter")
        await wait_until(pilot, lambda: app.conversation_id == old)
        await ask(pilot, "And how many daily users does it have?")
        await wait_until(pilot, answered(app, 2))
    assert [c.turns for c in history.conversations()] == [1]


async def test_a_history_that_cannot_be_written_is_one_notice(tmp_path):
    (tmp_path / "afile").write_text("")
    app = create_app(FakeEngine(tmp_path), history=History(tmp_path / "afile" / "history.db"))
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        await ask(pilot, "Show the brackets")
        await wait_until(pilot, answered(app, 2))
        notices = [n.message for n in app._notifications if "history" in n.message]
        assert len(notices) == 1 and "not kept" in notices[0]
        await pilot.press("ctrl+o")
        assert not isinstance(app.screen, ConversationsScreen)


def test_chat_command_reopens_the_conversation_asked_for(cli):
    history = History(cli.settings().history_path)  # the runner's: a temporary file
    first = history.new_conversation()
    history.log(
        first, answer_for("When was DeepSeek launched?", "When was DeepSeek launched?", "11 janvier 2025", LAUNCH)
    )
    seen = {}

    def run(engine, settings, **kwargs):
        assert settings == cli.settings()  # the settings the command was given, given to the chat
        seen.update(kwargs)
        return 0

    assert cli.invoke("chat", "-c", terminal=True, chat=run).exit_code == 0
    assert seen == {"llm": None, "conversation_id": first}
    seen.clear()
    assert cli.invoke("chat", "--conversation", str(first), "--no-log", terminal=True, chat=run).exit_code == 0
    assert seen == {"llm": None, "conversation_id": first, "keep": False}
    seen.clear()
    assert cli.invoke("chat", terminal=True, chat=run).exit_code == 0
    assert seen == {"llm": None}  # the default: a new conversation, kept
    seen.clear()
    refused = cli.invoke("chat", "--conversation", "99", terminal=True, chat=run)
    assert refused.exit_code == 2 and seen == {} and "no conversation 99" in refused.stderr


# -- acting on a citation: copy it, open it in $EDITOR --------------------------------------


async def test_ctrl_y_copies_the_citation_shown(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+y")
        assert app.clipboard == "" and any("No citation" in n.message for n in app._notifications)
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        await pilot.press("ctrl+y")
        assert app.clipboard == f"{SOURCE}:2\n{LAUNCH}"
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+y")
        assert app.clipboard == f"{SOURCE}:3\n" + citation(3, BRACKETS).text
        assert any(f"Copied {SOURCE}:3" in n.message for n in app._notifications)


@pytest.fixture
def fake_editor(tmp_path):
    """The chat's environment, whose $EDITOR is a script that writes the arguments it was given, one a line, to
    editor-args (``fake_editor.args``)."""
    script = tmp_path / "fake editor.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/editor-args"\n')
    script.chmod(0o755)
    return SimpleNamespace(environ={"EDITOR": f"'{script}' --wait"}, args=tmp_path / "editor-args")


async def test_f4_opens_the_cited_file_at_its_line_in_the_editor(tmp_path, fake_editor):
    app = make_app(tmp_path, environ=fake_editor.environ)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        await pilot.press("ctrl+b", "f4")  # the third citation: line 3
        assert fake_editor.args.read_text().splitlines() == ["--wait", "+3", str(tmp_path / SOURCE)]
        assert app.is_running and app.focused is app.query_one(QuestionInput)
        assert "[3] notes/deepseek.txt:3" in panel_text(app)


async def test_f4_says_why_it_cannot_open(tmp_path, fake_editor):
    app = make_app(tmp_path, environ=fake_editor.environ)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        assert any("No citation" in n.message for n in app._notifications)
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        app.environ["EDITOR"] = str(tmp_path / "no-such-editor")
        await pilot.press("f4")
        assert any("cannot run" in n.message and "no-such-editor" in n.message for n in app._notifications)
        app.environ["EDITOR"] = "false"
        await pilot.press("f4")
        assert any("false exited with status 1" in n.message for n in app._notifications)
        (tmp_path / SOURCE).unlink()
        app.environ["EDITOR"] = "true"
        await pilot.press("f4")
        assert any("not where it was indexed" in n.message for n in app._notifications)
        assert not fake_editor.args.exists()


def test_editor_command_tells_each_kind_of_editor_the_line(tmp_path):
    from qa.tui.app import editor_command

    path = tmp_path / "a.txt"
    environ = {"PAGER": "less -R"}
    assert editor_command(path, 7, environ) == ["less", "-R", "+7g", str(path)]
    environ["EDITOR"] = "nvim"
    assert editor_command(path, 7, environ) == ["nvim", "+7", str(path)]
    environ["VISUAL"] = "code --wait"
    assert editor_command(path, 7, environ) == ["code", "--wait", "-g", f"{path}:7"]
    environ["VISUAL"] = "/usr/bin/hx"
    assert editor_command(path, 0, environ) == ["/usr/bin/hx", f"{path}:1"]


async def test_the_citation_scrolls_by_keys_and_the_question_box_keeps_focus(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        panel = app.query_one(CitationPanel)
        assert panel.max_scroll_y > 2  # at 80x24 the passage's lines do not all fit
        await pilot.press("shift+down", "shift+down")
        await wait_until(pilot, lambda: panel.scroll_y == 2)
        await pilot.press("shift+up")
        await wait_until(pilot, lambda: panel.scroll_y == 1)
        await pilot.press("shift+pagedown")
        await wait_until(pilot, lambda: panel.scroll_y == panel.max_scroll_y)
        await pilot.press("shift+pageup")
        await wait_until(pilot, lambda: panel.scroll_y == 0)
        assert app.focused is app.query_one(QuestionInput)


async def test_clicking_the_cited_file_opens_it(tmp_path, fake_editor):
    app = make_app(tmp_path, environ=fake_editor.environ)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        body = app.query_one("#citation-body", Static)
        assert "notes/deepseek.txt:2" in text_of(body).splitlines()[0]
        await pilot.click(body, offset=(8, 0))  # on the file name, after "[1] "
        await wait_until(pilot, fake_editor.args.exists, what="the editor")
        assert fake_editor.args.read_text().splitlines() == ["--wait", "+2", str(tmp_path / SOURCE)]


def _column(sentence: str) -> int:
    start = DOCUMENT.index(sentence)
    return start - (DOCUMENT.rfind("\n", 0, start) + 1) + 1


async def test_passages_of_one_line_are_told_apart_by_their_column(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        launch, users = f"{SOURCE}:2:{_column(LAUNCH)}", f"{SOURCE}:2:{_column(USERS)}"
        sources = text_of(app.query_one(Turn).query_one(".sources", Static))
        assert f"[1] {launch}  [2] {users}  [3] {SOURCE}:3" in sources
        assert f"[1] {launch}" in panel_text(app)
        await pilot.press("ctrl+n")
        assert f"[2] {users}" in panel_text(app)


def test_labels_keep_file_and_line_when_the_file_cannot_tell_the_column(tmp_path):
    from qa.tui.context import labels

    FakeEngine(tmp_path)
    both = [citation(1, LAUNCH), citation(2, USERS)]
    assert labels(both, tmp_path) == [f"{SOURCE}:2:{_column(LAUNCH)}", f"{SOURCE}:2:{_column(USERS)}"]
    assert labels(both[:1], tmp_path) == [f"{SOURCE}:2"]  # alone on its line: no column
    (tmp_path / SOURCE).write_text(DOCUMENT.replace("DeepSeek", "Deep"), encoding="utf-8")
    assert labels(both, tmp_path) == [f"{SOURCE}:2", f"{SOURCE}:2"]


def test_run_keeps_the_chat_in_the_default_history(tmp_path):
    import qa.tui.app

    made = {}

    def fake_app(engine, **kwargs):
        made.update(kwargs)
        return SimpleNamespace(run=lambda: None, return_code=0, state="ready", answering=False)

    assert qa.tui.app.run(object(), make_app=fake_app) == 0
    assert isinstance(made["history"], History) and str(made["history"].path) == os.environ["QA_HISTORY"]
    assert made["keep"] is True and made["conversation_id"] is None
    assert qa.tui.app.run(object(), settings=Settings(history_path=tmp_path / "given.db"), make_app=fake_app) == 0
    assert made["history"].path == tmp_path / "given.db"  # the history the settings name


async def test_typing_in_the_list_filters_the_conversations(tmp_path):
    app, history = history_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for question in ("When was DeepSeek launched?", "Show the brackets", "Who is the president of France?"):
            await pilot.press("ctrl+l")
            await ask(pilot, question)
            await wait_until(pilot, lambda: not app.answering and app.conversation_id is not None)
        first = history.conversations()[-1].id
        await pilot.press("ctrl+o")
        options = app.screen.query_one(OptionList)
        assert options.option_count == 3
        await pilot.press(*"BRACK")  # the first question, any case
        assert options.option_count == 1 and "Show the brackets" in str(options.get_option_at_index(0).prompt)
        await pilot.press(*["backspace"] * 5, *"22,15")  # not in a first question: in an answer's citation
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == [str(first)]
        await pilot.press(*"zz")
        assert options.option_count == 0
        assert "No conversation holds “22,15zz”" in text_of(app.screen.query_one("#conversations-none", Static))
        await pilot.press("enter")  # nothing to reopen
        assert isinstance(app.screen, ConversationsScreen)
        await pilot.press("backspace", "backspace", "enter")
        await wait_until(pilot, lambda: app.conversation_id == first)
        assert [t.question for t in app.query(Turn)] == ["When was DeepSeek launched?"]


# -- input: multi-line paste, $EDITOR, start-up keys, ask again (issue 12) --------------------------------


async def test_a_multi_line_paste_is_one_question(tmp_path):
    """A question pasted over several lines is kept whole, its lines joined, and asked as one question."""
    from textual import events

    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        box = app.query_one(QuestionInput)
        box.post_message(events.Paste("When was\n  DeepSeek\r\n\nlaunched?\n"))
        await pilot.pause()
        assert box.value == "When was DeepSeek launched?"
        await pilot.press("enter")
        await wait_until(pilot, answered(app))
        assert len(app.query(Turn)) == 1 and app.engine.asked == [("When was DeepSeek launched?", None)]
        # ctrl+v pastes the app's clipboard the same way, over the selection
        app.copy_to_clipboard("And how many\ndaily users\ndoes it have?")
        await pilot.press("ctrl+v")
        assert box.value == "And how many daily users does it have?"
        # One line is pasted as it is, its spaces too.
        box.value = "When was"
        box.post_message(events.Paste(" DeepSeek launched?\n"))
        await pilot.pause()
        assert box.value == "When was DeepSeek launched?"


@pytest.fixture
def composing_editor(tmp_path):
    """The chat's environment, whose $EDITOR is a script that keeps what the file held (in editor-before), then
    writes to it what the file ``composing_editor.question`` holds."""
    script = tmp_path / "compose editor.sh"
    question = tmp_path / "question-written"
    script.write_text(
        f'#!/bin/sh\nfor last; do :; done\ncp "$last" "{tmp_path}/editor-before"\ncat "{question}" > "$last"\n'
    )
    script.chmod(0o755)
    return SimpleNamespace(environ={"EDITOR": f"'{script}'"}, before=tmp_path / "editor-before", question=question)


async def test_f2_composes_the_question_in_the_editor(tmp_path, composing_editor):
    composing_editor.question.write_text("When was DeepSeek\nlaunched?\n")
    app = make_app(tmp_path, environ=composing_editor.environ)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        box = app.query_one(QuestionInput)
        box.value = "When was"
        await pilot.press("f2")
        await wait_until(pilot, answered(app))
        assert composing_editor.before.read_text() == "When was\n"  # the editor starts from the box
        assert app.engine.asked == [("When was DeepSeek launched?", None)]
        assert box.value == "" and app.focused is box and app.is_running
        # Saved empty: nothing asked, the box keeps its text.
        composing_editor.question.write_text("\n")
        box.value = "half a question"
        await pilot.press("f2")
        await pilot.pause()
        assert len(app.query(Turn)) == 1 and box.value == "half a question"
        assert any("Nothing written" in n.message for n in app._notifications)


async def test_f2_says_when_the_editor_fails(tmp_path):
    app = make_app(tmp_path, environ={"EDITOR": str(tmp_path / "no-such-editor")})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        assert any("cannot run" in n.message and "no-such-editor" in n.message for n in app._notifications)
        assert not app.query(Turn)


async def test_enter_typed_while_the_chat_starts_is_not_lost(tmp_path):
    """Keys typed before the terminal is in raw mode arrive with Enter as a line feed (ICRNL): ctrl+j.
    The question is queued while the engine loads and answered once it is loaded."""
    gate = threading.Event()
    app = make_app(tmp_path, gate=gate)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"When was DeepSeek launched?", "ctrl+j")
        await wait_until(pilot, lambda: len(app.query(Turn)) == 1, what="the queued question")
        assert app.state == "loading" and app.engine.asked == []
        await pilot.press(*"Show the brackets", "enter")  # and another, also queued
        gate.set()
        await wait_until(pilot, answered(app, 2), what="the queued answers")
        assert [q for q, _ in app.engine.asked] == ["When was DeepSeek launched?", "Show the brackets"]


async def test_ctrl_r_asks_the_last_question_again(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        assert any("No question to ask again" in n.message for n in app._notifications)
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        await ask(pilot, "And how many daily users does it have?")
        await wait_until(pilot, answered(app, 2))
        await pilot.press("ctrl+r")
        await wait_until(pilot, answered(app, 3))
        turns = list(app.query(Turn))
        # The follow-up is asked again as it was searched, not resolved against itself.
        assert turns[2].question == turns[1].question and turns[2].searched == turns[1].searched
        assert app.engine.asked[2] == app.engine.asked[1] and "DeepSeek" in app.engine.asked[2][1]
        assert app.selected is turns[2] and "22,15 millions" in turns[2].query_one(Markdown).source
        # While the last question is still waiting for its answer, it is not asked twice.
        gate = threading.Event()
        original = app.engine.answer
        app.engine.answer = lambda *a, **k: (gate.wait(10), original(*a, **k))[1]
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("ctrl+r")
        assert any("still being answered" in n.message for n in app._notifications) and len(app.query(Turn)) == 4
        gate.set()
        await wait_until(pilot, answered(app, 4))
        app.engine.answer = original
        # After ctrl+l the transcript is empty: the last question asked is asked again.
        await pilot.press("ctrl+l")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await wait_until(pilot, answered(app))
        assert [t.question for t in app.query(Turn)] == ["And how many daily users does it have?"]


# -- a cited file changed since indexing (issue 11) ---------------------------------------------------------


def _notes_index(tmp_path):
    """A real index (fake models) of notes.txt, and an engine over it."""
    from qa.api import Engine
    from qa.cli import main

    (tmp_path / "notes.txt").write_text("The lighthouse of Brest was built in 1921.\n", encoding="utf-8")
    assert main(["index", str(tmp_path / "notes.txt"), "--index", str(tmp_path / "idx")], models=fakes.MODELS) == 0
    return Engine(index_dir=tmp_path / "idx", models=fakes.MODELS)


def _changed_notices(app) -> list[str]:
    return [n.message for n in app._notifications if "changed since it was indexed" in n.message]


@pytest.fixture
def editing_editor(tmp_path):
    """The chat's environment, whose $EDITOR is a script that touches the file, and appends to it what the file
    ``editing_editor.add`` holds when there is one."""
    script = tmp_path / "editing editor.sh"
    add = tmp_path / "line-to-add"
    script.write_text(f'#!/bin/sh\nfor last; do :; done\ntouch "$last"\n[ ! -f "{add}" ] || cat "{add}" >> "$last"\n')
    script.chmod(0o755)
    return SimpleNamespace(environ={"EDITOR": f"'{script}'"}, add=add)


async def test_a_changed_cited_file_is_offered_a_refresh_and_f5_refreshes(
    fake_models, tmp_path, monkeypatch, editing_editor
):
    """After an answer, or after the cited file was opened with F4, a file changed since indexing is said
    once, with F5; F5 refreshes the index, and the questions asked meanwhile are answered from it."""
    import qa.api

    app = create_app(_notes_index(tmp_path), environ=editing_editor.environ)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready", what="the engine")
        await ask(pilot, "When was the lighthouse of Brest built?")
        await wait_until(pilot, answered(app))
        await pilot.pause(0.2)
        assert _changed_notices(app) == []  # unchanged: nothing offered
        await pilot.press("f4")  # touched, not changed: still nothing
        await pilot.pause(0.3)
        assert _changed_notices(app) == [] and app.stale == set()

        editing_editor.add.write_text("It was run by the navy until 1983.\n")
        await pilot.press("f4")
        await wait_until(pilot, lambda: _changed_notices(app), what="the offer to refresh")
        assert "notes.txt changed" in _changed_notices(app)[0] and "F5 refreshes" in _changed_notices(app)[0]
        await pilot.press("f4")  # said once, not at every look
        await pilot.pause(0.3)
        assert len(_changed_notices(app)) == 1 and app.stale == {"notes.txt"}

        old = app.engine
        gate = threading.Event()  # the refresh's build waits for it
        build = qa.api.Engine.build
        monkeypatch.setattr(qa.api.Engine, "build", lambda *a, **k: (gate.wait(10), build(*a, **k))[1])
        await pilot.press("f5")
        assert app.refreshing and app.query_one(LoadStatus).display and "refreshing" in app.sub_title
        # A question asked meanwhile waits for the refreshed index.
        await ask(pilot, "Until when did the navy run the lighthouse?")
        await wait_until(pilot, lambda: "once the index is refreshed" in text_of(list(app.query(".turn .status"))[-1]))
        gate.set()
        await wait_until(pilot, lambda: not app.refreshing, what="the refresh")
        assert app.engine is not old and any(n.title == "Refreshed" for n in app._notifications)
        assert app.stale == set()
        await wait_until(pilot, answered(app, 2))
        assert not app.query_one(LoadStatus).display and app.sub_title == "ready"
        assert any("1983" in c.text for c in list(app.query(Turn))[-1].answer.citations)
        await pilot.pause(0.2)
        assert len(_changed_notices(app)) == 1  # up to date: no new offer


async def test_f5_without_a_real_index_says_so(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        await pilot.press("f5")
        assert any("No index to refresh" in n.message for n in app._notifications) and not app.refreshing


async def test_a_failed_refresh_keeps_the_index_it_had(fake_models, tmp_path, monkeypatch):
    import qa.api

    app = create_app(_notes_index(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state == "ready")
        old = app.engine

        def broken(self, notice=None, progress=None):
            raise IndexUnavailable("the index in idx is locked by another qa")

        with monkeypatch.context() as patched:
            patched.setattr(qa.api.Engine, "prepare", broken)
            await pilot.press("f5")
            await wait_until(pilot, lambda: not app.refreshing)
        assert app.engine is old and any("locked by another qa" in n.message for n in app._notifications)
        await ask(pilot, "When was the lighthouse of Brest built?")
        await wait_until(pilot, answered(app))
        assert "1921" in app.query_one(Turn).answer.citations[0].text


_ESCAPES = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\x1b[=>]")


@pytest.mark.parametrize("after", [0.0, 0.3])
def test_a_question_typed_before_the_chat_is_up_is_answered(tmp_path, after):
    """On a real terminal (a pty): a question and Enter typed at once, or 0.3 s in, while `qa chat` starts
    (before the terminal is in raw mode Enter arrives as a line feed), are answered once the engine is loaded."""
    fake_qa = Path(__file__).resolve().parent / "fake_qa.py"
    (tmp_path / "notes.txt").write_text("The lighthouse of Brest was built in 1921.\n", encoding="utf-8")
    index = str(tmp_path / "idx")
    built = subprocess.run(
        [sys.executable, str(fake_qa), "index", "notes.txt", "--index", index],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 140, 0, 0))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TERM": "xterm-256color"}
    chat = subprocess.Popen(
        [sys.executable, str(fake_qa), "chat", "--index", index, "--no-log"],
        cwd=tmp_path,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        start_new_session=True,
    )
    os.close(secondary)
    seen, answer = b"", "1921 — «The lighthouse of Brest was built in 1921.» [1]"
    try:
        time.sleep(after)
        os.write(primary, b"When was the lighthouse of Brest built?\r")
        deadline = time.monotonic() + 60
        plain = ""
        while time.monotonic() < deadline and answer not in plain:
            ready, _, _ = select.select([primary], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(primary, 65536)
                except OSError:
                    break
                plain = _ESCAPES.sub("", seen.decode(errors="replace"))
        assert answer in plain, plain[-2000:]
    finally:
        os.write(primary, b"\x11")  # ctrl+q
        try:
            chat.wait(timeout=20)
        except subprocess.TimeoutExpired:
            chat.kill()
            chat.wait()
        os.close(primary)


def test_changed_sources_compares_cited_files_by_content(fake_models, tmp_path, monkeypatch):
    from qa.tui.freshness import can_refresh, changed_sources

    engine = _notes_index(tmp_path)
    engine.prepare()
    notes = tmp_path / "notes.txt"
    times = notes.stat()
    assert can_refresh(engine) and changed_sources(engine, ["notes.txt", "notes.txt", "other.txt"]) == []
    os.utime(notes)  # touched only
    assert changed_sources(engine, ["notes.txt"]) == []
    notes.write_text("The lighthouse of Brest was built in 1922.\n", encoding="utf-8")  # same size,
    os.utime(notes, ns=(times.st_atime_ns, times.st_mtime_ns))  # its time set back
    assert changed_sources(engine, ["notes.txt"]) == ["notes.txt"]
    notes.unlink()
    assert changed_sources(engine, ["notes.txt"]) == ["notes.txt"]
    assert changed_sources(SimpleNamespace(index=None), ["notes.txt"]) == [] and not can_refresh(SimpleNamespace())


# -- the engine and the cited files are read off the UI thread: the question box stays usable ---------------


class _SlowAnswers(FakeEngine):
    """An engine whose answer waits for ``release``: as a slow model or a large index would."""

    def __init__(self, root: Path, release: threading.Event):
        super().__init__(root)
        self.release = release
        self.started = threading.Event()

    def answer(self, question, top_k=3, searched_question=None, notice=None):
        self.started.set()
        self.release.wait(10)
        return super().answer(question, top_k, searched_question, notice)


async def _type(pilot, text: str) -> None:
    for key in text:
        await pilot.press(key)


async def test_the_question_box_stays_usable_while_an_answer_is_computed(tmp_path):
    release = threading.Event()
    engine = _SlowAnswers(tmp_path, release)
    app = create_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, engine.started.is_set, what="the answer to start")
        await _type(pilot, "next")
        box = app.query_one(QuestionInput)
        assert box.value == "next" and app.answering and not release.is_set()
        await pilot.press("enter")  # asked meanwhile: queued behind the one being answered
        assert [t.question for t in app.query(Turn)] == ["When was DeepSeek launched?", "next"]
        release.set()
        await wait_until(pilot, answered(app, 2))
        assert "11 janvier 2025" in panel_text(app) or "do not answer" in panel_text(app)


@pytest.fixture
def slow_reading(monkeypatch):
    """Reading the cited document waits for ``release`` (as a long PDF does), and says when it is done."""
    import qa.tui.context

    state = SimpleNamespace(release=threading.Event(), reading=threading.Event(), read=threading.Event())
    decode = qa.tui.context.decode

    def slow_decode(data: bytes) -> str:
        text = decode(data)
        if text.startswith("DeepSeek en bref"):
            state.reading.set()
            state.release.wait(10)  # bounded: a chat that reads on its UI thread fails the test, never hangs it
            state.read.set()
        return text

    monkeypatch.setattr(qa.tui.context, "decode", slow_decode)
    return state


async def test_the_question_box_stays_usable_while_the_cited_file_is_read(tmp_path, slow_reading):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, slow_reading.reading.is_set, what="the cited file to be read")
        await _type(pilot, "and")
        assert app.query_one(QuestionInput).value == "and"
        assert not slow_reading.read.is_set()  # typed while the file was still being read
        slow_reading.release.set()
        await wait_until(pilot, answered(app))
        assert "DeepSeek en bref" in panel_text(app)  # the lines around the passage, read from the file


async def test_a_citation_whose_file_changed_is_read_again_off_the_ui_thread(tmp_path, slow_reading):
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        slow_reading.release.set()
        await ask(pilot, "When was DeepSeek launched?")
        await wait_until(pilot, answered(app))
        slow_reading.release.clear()
        slow_reading.reading.clear()
        slow_reading.read.clear()
        document = tmp_path / SOURCE
        document.write_text(DOCUMENT, encoding="utf-8")  # the same text, written again: read again to be sure
        stat = document.stat()
        os.utime(document, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        await pilot.press("ctrl+n")
        await wait_until(pilot, slow_reading.reading.is_set, what="the cited file to be read again")
        await _type(pilot, "so")
        assert app.query_one(QuestionInput).value == "so" and not slow_reading.read.is_set()
        assert "Reading notes/deepseek.txt" in panel_text(app)
        slow_reading.release.set()
        await wait_until(pilot, lambda: "[2] notes/deepseek.txt:2" in panel_text(app), what="the second citation")
        assert "DeepSeek en bref" in panel_text(app)
