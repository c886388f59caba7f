"""`qa chat`: a conversation with the documents, with the cited passages beside it.

The screen is up at once; the engine loads (or builds the index) in a
background thread. Questions are answered one at a time, in the order asked, in
another, so the interface never waits on the engine; a question asked while
loading is queued and answered when the engine is ready. The threads talk to
the app only through messages (``post_message`` is thread-safe).

The threads are daemon threads rather than Textual thread workers: those run
in asyncio's default executor, which ``App.run`` waits for on exit, so ctrl+q
during a model load or an index build would hang until it finished.

The cited files are read off the UI thread too (a PDF is extracted in the reading
worker, up to its time limit per file): by the answering thread, before the answer
is shown, and otherwise (a reopened conversation, a file changed since) by a Textual
worker that awaits a daemon thread, the panel saying meanwhile which file is read.

With an LLM endpoint (``qa chat --llm-url URL`` or ``QA_LLM_URL``), answers are
generated: the answering thread gets the extractive answer, then calls
``qa.llm.generate_answer`` on it, streaming the model's tokens into the turn as a
draft; the draft is replaced by the verified answer, or by the extractive answer
with the one-line reason. ctrl+g switches between generated and extractive
answers for the next questions.

Conversations are kept (qa.history, given as ``history``): each answer is logged to the
current conversation, created at its first answer; ctrl+l starts a new one (the old one
stays in the history) and ctrl+o lists them to reopen one, its answers shown again and
its searched questions resolving the next follow-ups. A history that cannot be written
is said once, and the chat goes on without it.

From the citation shown, ctrl+y copies ``file:line`` and the quote to the clipboard, and
F4 opens the file at that line in ``$VISUAL``/``$EDITOR`` (else ``$PAGER``), the chat
suspended meanwhile.

Input (issue 12): a multi-line paste is one question, its lines joined (``widgets.one_line`` says why); F2
writes the question in ``$EDITOR``; an Enter typed while the chat starts arrives as a line feed and asks too
(the question waits for the engine); ctrl+r asks the last question again. When a cited file changed since
it was indexed (``qa.tui.freshness``, checked in the background after each answer), a notice offers F5,
which refreshes the index in a new engine and swaps it in (issue 11).

``create_app(engine, llm=None, history=None)`` is used by both ``run`` and the tests, which pass a fake
engine with the same three members: ``prepare``, ``answer`` and ``index``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual.app import App, SuspendNotSupported, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from qa.api import clean_question
from qa.conversation import Conversation
from qa.errors import QAError
from qa.history import HistoryUnavailable
from qa.tui.context import citation_ref, files_read, labels, located, read_files, source_path
from qa.tui.conversations import ConversationsScreen
from qa.tui.freshness import can_refresh, changed_sources, renewed
from qa.tui.help import HelpScreen
from qa.tui.literal import printable
from qa.tui.styles import CSS
from qa.tui.widgets import CitationPanel, LoadStatus, QuestionInput, Turn, citation_view, one_line, shown_passages

WELCOME = (
    "Ask a question about the documents. Each answer quotes them and cites file:line; "
    "the passage is shown on the right. Follow-ups may say “it” or “And …?”. F1 lists the keys."
)


# Messages posted from the worker threads (post_message is thread-safe).
class Loaded(Message):
    pass


class LoadFailed(Message):
    def __init__(self, message: str):
        super().__init__()
        self.message = message


class LoadProgress(Message):
    def __init__(self, stage: str, done: int, total: int):
        super().__init__()
        self.stage, self.done, self.total = stage, done, total


class Stale(Message):
    """Cited files changed since they were indexed: the chat offers a refresh."""

    def __init__(self, sources: list[str]):
        super().__init__()
        self.sources = sources


class Refreshed(Message):
    def __init__(self, engine=None, error: str | None = None):
        super().__init__()
        self.engine, self.error = engine, error


class Crashed(Message):
    """An unexpected error in a thread: re-raised in the app, which exits and shows the traceback."""

    def __init__(self, error: BaseException):
        super().__init__()
        self.error = error


class Answered(Message):
    def __init__(
        self, turn: Turn, answer=None, error: str | None = None, notice: str | None = None, timing_ms: float = 0.0
    ):
        super().__init__()
        self.turn, self.answer, self.error, self.notice = turn, answer, error, notice
        self.timing_ms = timing_ms


class Drafting(Message):
    """The extractive answer is in; the LLM is now writing one (a draft until it is checked)."""

    def __init__(self, turn: Turn):
        super().__init__()
        self.turn = turn


class DraftRestart(Message):
    """The LLM is asked once more (its first reply was refused): a new draft begins."""

    def __init__(self, turn: Turn):
        super().__init__()
        self.turn = turn


class DraftToken(Message):
    def __init__(self, turn: Turn, text: str):
        super().__init__()
        self.turn, self.text = turn, text


class ChatApp(App[int]):
    CSS = CSS
    TITLE = "qa chat"
    # The footer fits 80 columns beside the palette's ^p (issue 12): it shows the citations, the LLM switch,
    # the conversations, the keys screen and quit; the keys screen (F1, qa.tui.help.KEYS) lists every binding.
    BINDINGS = [
        Binding("ctrl+n", "citation(1)", "Citations", key_display="^n/^b", priority=True),
        Binding("ctrl+b", "citation(-1)", "Previous citation", show=False, priority=True),
        Binding("ctrl+up", "select_turn(-1)", "Earlier answer", show=False, priority=True),
        Binding("ctrl+down", "select_turn(1)", "Later answer", show=False, priority=True),
        Binding("pageup", "scroll_transcript(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_transcript(1)", "Scroll down", show=False),
        Binding("shift+up", "scroll_citations(-1)", "Scroll the citation up", show=False),
        Binding("shift+down", "scroll_citations(1)", "Scroll the citation down", show=False),
        Binding("shift+pageup", "scroll_citations(-10)", "Citation page up", show=False),
        Binding("shift+pagedown", "scroll_citations(10)", "Citation page down", show=False),
        Binding("ctrl+g", "toggle_llm", "LLM", priority=True),
        # Not a priority binding: on the keys screen, Esc closes it.
        Binding("escape", "stop", "Stop the LLM", show=False),
        Binding("ctrl+l", "clear", "New chat", priority=True),
        # Not priority bindings: on the list of conversations, ctrl+o closes it.
        Binding("ctrl+o", "conversations", "Chats"),
        Binding("ctrl+y", "copy_citation", "Copy citation", show=False, priority=True),
        Binding("f4", "open_citation", "Open in editor", show=False),
        Binding("ctrl+r", "retry", "Ask again", show=False, priority=True),
        Binding("f2", "compose", "Compose in editor", show=False),
        Binding("f5", "refresh", "Refresh the index", show=False),
        Binding("f1", "help", "Keys"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, engine, llm=None, history=None, conversation_id: int | None = None, keep: bool = True):
        super().__init__()
        self.engine = engine
        self.history = history  # qa.history.History, or None: no conversations kept nor listed
        self.keep = keep  # False (--no-log): past conversations listed and reopened, nothing written
        self.conversation_id: int | None = None  # created at the first answer logged
        self._reopen_at_start = conversation_id
        self.llm = llm  # qa.llm.LLMSettings, or None: extractive answers only
        self.generate = llm is not None  # ctrl+g switches
        self._cancel = threading.Event()  # set to stop the generation under way
        self.state = "loading"  # then "ready" or "failed"
        self.load_error = ""
        self.conversation = Conversation()
        self._pending: deque[Turn] = deque()
        self.answering = False  # a background thread is computing an answer
        self._answering_turn: Turn | None = None
        self.selected: Turn | None = None
        self.citation_index = 0
        self.stale: set[str] = set()  # cited files changed since indexing, offered for a refresh (F5)
        self.refreshing = False  # F5 pressed: questions wait until the new engine is in
        self._refresh_started = False

    # -- layout ----------------------------------------------------------------
    def compose(self):
        yield Header()
        with Horizontal(id="main"):
            # Neither pane takes focus: the question box keeps it (the mouse wheel still scrolls).
            with VerticalScroll(id="transcript", can_focus=False):
                yield Static(Text(WELCOME, style="italic"), id="welcome")
            yield CitationPanel(id="citations", can_focus=False)
        yield LoadStatus(id="status")
        yield QuestionInput(placeholder="Ask a question about the documents, then press Enter", id="question")
        yield Footer()

    async def on_mount(self) -> None:
        self.sub_title = "loading…"
        self.query_one(QuestionInput).focus()
        _in_background(self._load, "qa-load")
        if self._reopen_at_start is not None:
            await self.reopen(self._reopen_at_start)

    def notify(self, message: str, *, title: str = "", severity="information", timeout=None, markup=True) -> None:
        """Every notification shown literally: file names and messages can hold escape sequences and markup."""
        super().notify(
            printable(str(message)), title=printable(str(title)), severity=severity, timeout=timeout, markup=False
        )

    # -- loading (background thread) ---------------------------------------------
    def _load(self) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            self.post_message(LoadProgress(stage, done, total))

        def notice(message: str) -> None:
            self.notify(message, markup=False)

        try:
            from qa.embedding import set_cache_notice

            # A damaged cache entry, rebuilt: said in the chat, not written over its screen.
            self._previous_cache_notice = set_cache_notice(notice)
        except ImportError:  # numpy missing: the engine says so when it loads
            pass
        try:
            self.engine.prepare(notice=notice, progress=progress)
        except QAError as exc:
            self.post_message(LoadFailed(exc.message))
        except Exception as exc:  # noqa: BLE001 - loading a model fails in many library-specific ways
            self.post_message(LoadFailed(f"could not load the engine ({type(exc).__name__}: {exc})"))
        else:
            self.post_message(Loaded())

    def on_load_progress(self, event: LoadProgress) -> None:
        self.query_one(LoadStatus).progress(event.stage, event.done, event.total)

    def on_loaded(self) -> None:
        self.state = "ready"
        self._show_mode()
        self.query_one(LoadStatus).display = False
        if self.selected is not None:  # a reopened conversation: its files are found from the index's root now
            self._show_citation()
        self._pump()

    def on_load_failed(self, event: LoadFailed) -> None:
        self.state = "failed"
        self.load_error = event.message
        self.sub_title = "not ready"
        self.query_one(LoadStatus).display = False
        self.notify(event.message, title="Cannot answer", severity="error", timeout=30, markup=False)
        self._pump()

    # -- asking ----------------------------------------------------------------
    async def on_input_submitted(self, event: QuestionInput.Submitted) -> None:
        raw = event.value
        event.input.value = ""
        await self.ask(raw)

    async def ask(self, raw: str, searched: str = "") -> None:
        """Put a question in the transcript and the queue (``searched``: already resolved, for a retry)."""
        try:
            question = clean_question(raw, notice=lambda m: self.notify(m, severity="warning", markup=False))
        except QAError as exc:
            if raw.strip():
                self.notify(exc.message, severity="warning", markup=False)
            return
        self.query_one(QuestionInput).remember(question)
        turn = Turn(question)
        turn.searched = searched
        transcript = self.query_one("#transcript", VerticalScroll)
        await transcript.mount(turn)
        transcript.scroll_end(animate=False)
        self._pending.append(turn)
        self._pump()

    async def action_retry(self) -> None:
        """Ask the last question of the transcript again, as it was searched (a follow-up is not resolved
        a second time against itself); with no transcript, the last question asked."""
        turns = list(self.query(Turn))
        if turns:
            last = turns[-1]
            if last in self._pending or last is self._answering_turn:
                self.notify("The last question is still being answered.", severity="warning")
                return
            await self.ask(last.question, searched=last.searched if last.searched != last.question else "")
            return
        box = self.query_one(QuestionInput)
        if box.history:
            await self.ask(box.history[-1])
        else:
            self.notify("No question to ask again yet.", severity="warning")

    async def action_compose(self) -> None:
        """Write the question in $VISUAL or $EDITOR (the chat suspended meanwhile), starting from what the
        question box holds; saved, it is asked (its lines joined into one question), and left empty, nothing
        is asked and the box keeps its text."""
        box = self.query_one(QuestionInput)
        with tempfile.TemporaryDirectory(prefix="qa-question-") as folder:
            path = Path(folder) / "question.txt"
            path.write_text(box.value + ("\n" if box.value else ""), encoding="utf-8")
            if not self._hand_over(compose_command(path)):
                return
            try:
                written = path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                self.notify(f"cannot read the question back: {exc.strerror or exc}", severity="error")
                return
        question = one_line(written)
        if not question:
            self.notify("Nothing written: no question asked.", severity="warning")
            return
        box.value = ""
        await self.ask(question)

    def _hand_over(self, command: list[str]) -> bool:
        """Run ``command`` on the terminal, the chat suspended meanwhile; False (said) if it could not run."""
        try:
            if self.is_headless:  # no terminal to hand over (the tests)
                status = subprocess.run(command, check=False).returncode
            else:
                with self.suspend():
                    status = subprocess.run(command, check=False).returncode
        except SuspendNotSupported:
            self.notify("This terminal cannot be handed over to an editor.", severity="error")
            return False
        except OSError as exc:
            self.notify(f"cannot run {command[0]}: {exc.strerror or exc}", severity="error")
            return False
        if status != 0:
            self.notify(f"{command[0]} exited with status {status}.", severity="warning")
        return True

    def _pump(self) -> None:
        """Start the next queued question if the engine is free."""
        if self.state == "loading":
            for turn in self._pending:
                turn.set_status("Queued: answered as soon as the model is loaded…")
            return
        if self.state == "failed":
            if self._pending:
                while self._pending:
                    self._pending.popleft().show_error(self.load_error)
                self.notify(self.load_error, title="Cannot answer", severity="error", markup=False)
            return
        if self.refreshing:
            if not self.answering and not self._refresh_started:
                self._start_refresh()  # it waited for the answer under way
            for turn in self._pending:
                turn.set_status("Queued: answered once the index is refreshed…")
            return
        if self.answering or not self._pending:
            return
        turn = self._pending.popleft()
        # Resolved here, in asking order, so each follow-up sees the turns before it (a retry was resolved).
        searched = turn.searched or self.conversation.resolve(turn.question)
        self.conversation.add(searched)
        turn.set_searched(searched)
        turn.set_status("Searching the documents…")
        self.answering = True
        self._answering_turn = turn
        self._cancel = cancel = threading.Event()
        llm = self.llm if self.generate else None  # decided when the question starts
        _in_background(lambda: self._answer(turn, llm, cancel), "qa-answer")

    def _answer(self, turn: Turn, llm=None, cancel: threading.Event | None = None) -> None:
        searched = turn.searched if turn.searched != turn.question else None
        started = time.monotonic()
        try:
            answer = self.engine.answer(turn.question, searched_question=searched)
            notice = None
            if llm is not None and not answer.abstained and answer.citations:
                from qa.llm import generate_answer

                self.post_message(Drafting(turn))
                result = generate_answer(
                    answer,
                    llm,
                    on_token=lambda text: self.post_message(DraftToken(turn, text)),
                    cancel=cancel,
                    on_restart=lambda: self.post_message(DraftRestart(turn)),
                )
                answer, notice = result.answer, result.notice
            # The files it cites, read here rather than on the UI thread when the panel shows them.
            read_files(shown_passages(answer), self.engine)
        except QAError as exc:
            self.post_message(Answered(turn, error=exc.message))
        except Exception as exc:  # noqa: BLE001 - a bug: shown as a traceback by the app, not lost in a thread
            self.post_message(Crashed(exc))
        else:
            timing = (time.monotonic() - started) * 1000.0
            self.post_message(Answered(turn, answer, notice=notice, timing_ms=timing))

    async def on_drafting(self, event: Drafting) -> None:
        if self.is_running and event.turn.is_attached:
            await event.turn.start_draft()
            self.query_one("#transcript", VerticalScroll).scroll_end(animate=False)

    def on_draft_restart(self, event: DraftRestart) -> None:
        if self.is_running and event.turn.is_attached:
            event.turn.restart_draft()

    def on_draft_token(self, event: DraftToken) -> None:
        if self.is_running and event.turn.is_attached:
            event.turn.add_draft(event.text)
            transcript = self.query_one("#transcript", VerticalScroll)
            if transcript.max_scroll_y - transcript.scroll_y <= 2:  # follow the draft unless scrolled up
                transcript.scroll_end(animate=False)

    def on_crashed(self, event: Crashed) -> None:
        raise event.error

    async def on_answered(self, event: Answered) -> None:
        turn = event.turn
        if not self.is_running:  # quitting: the widgets are going away
            return
        if turn.is_attached:  # not cleared meanwhile
            if event.error:
                turn.show_error(event.error)
                self.notify(event.error, severity="error", markup=False)
            else:
                await turn.show_answer(
                    event.answer, notice=event.notice, labels=labels(event.answer.citations, self.engine)
                )
                self._select(turn)
                self._log(turn, event.answer, event.timing_ms)
                self._check_freshness(event.answer)
            self.query_one("#transcript", VerticalScroll).scroll_end(animate=False)
        # Free only once the answer is on screen: tests wait for this.
        self.answering = False
        self._answering_turn = None
        self._pump()

    # -- files changed since indexing (issue 11) ------------------------------------
    def _check_freshness(self, answer) -> None:
        """In the background: did the files this answer cites change since they were indexed?"""
        sources = [c.source for c in answer.citations]
        if not sources or self.refreshing or not can_refresh(self.engine):
            return
        engine = self.engine

        def check() -> None:
            try:
                changed = changed_sources(engine, sources)
            except Exception:  # noqa: BLE001 - a check that fails offers nothing; the answer is shown
                return
            if changed:
                self.post_message(Stale(changed))

        _in_background(check, "qa-freshness")

    def on_stale(self, event: Stale) -> None:
        new = [s for s in event.sources if s not in self.stale]
        if not new or self.refreshing or not self.is_running:
            return
        self.stale.update(new)
        named = new[0] if len(new) == 1 else f"{new[0]} and {len(new) - 1} more cited file{'s' * (len(new) > 2)}"
        self.notify(
            f"{named} changed since it was indexed: this answer quotes the indexed text. F5 refreshes the index.",
            title="Changed file" + ("s" if len(new) > 1 else ""),
            severity="warning",
            timeout=20,
        )

    def action_refresh(self) -> None:
        """Re-read the files changed since indexing (the engine's own refresh, in a new engine over the same
        index) and answer from them from now on. It starts once the answer under way is in, and the questions
        asked meanwhile wait for it: the refresh replaces the index generation the old engine reads."""
        if self.refreshing:
            self.notify("The index is being refreshed already.")
            return
        if self.state != "ready" or not can_refresh(self.engine):
            self.notify("No index to refresh here.", severity="warning")
            return
        self.refreshing = True
        self.sub_title = "refreshing the index…"
        status = self.query_one(LoadStatus)
        status.start("Refreshing the index from the files as they are now…")
        status.display = True
        if not self.answering:
            self._start_refresh()

    def _start_refresh(self) -> None:
        fresh = renewed(self.engine)

        def progress(stage: str, done: int, total: int) -> None:
            self.post_message(LoadProgress(stage, done, total))

        def refresh() -> None:
            try:
                fresh.prepare(notice=lambda m: self.notify(m, markup=False), progress=progress)
            except QAError as exc:
                self.post_message(Refreshed(error=exc.message))
            except Exception as exc:  # noqa: BLE001 - reading or loading fails in many library-specific ways
                self.post_message(Refreshed(error=f"could not refresh the index ({type(exc).__name__}: {exc})"))
            else:
                self.post_message(Refreshed(fresh))

        self._refresh_started = True
        _in_background(refresh, "qa-refresh")

    def on_refreshed(self, event: Refreshed) -> None:
        self.refreshing = self._refresh_started = False
        if not self.is_running:
            return
        self.query_one(LoadStatus).display = False
        self._show_mode()
        if event.error:
            self.notify(event.error, title="Not refreshed", severity="error", timeout=20)
        else:
            self.engine = event.engine
            self.stale.clear()
            self.notify("The index is up to date: the next answers quote the files as they are now.", title="Refreshed")
        self._pump()

    # -- conversations kept ------------------------------------------------------
    def _index_path(self) -> str:
        index_dir = getattr(self.engine, "index_dir", None)
        return str(Path(index_dir).resolve()) if index_dir else ""

    def _log(self, turn: Turn, answer, timing_ms: float) -> None:
        """Keep an answer shown in the current conversation; a failure is said once, then nothing is kept."""
        if self.history is None or not self.keep:
            return
        try:
            if self.conversation_id is None:
                self.conversation_id = self.history.new_conversation(self._index_path())
            self.history.log(self.conversation_id, answer, turn.searched, timing_ms, self._index_path())
        except HistoryUnavailable as exc:
            self.history = None
            self.notify(f"{exc.message}; this chat is not kept.", title="History", severity="warning", timeout=15)

    def action_conversations(self) -> None:
        """The list of past conversations, to reopen one."""
        if isinstance(self.screen, ConversationsScreen):
            return
        if self.history is None:
            self.notify("No history in this chat: it could not be read or written.")
            return
        try:
            conversations = self.history.conversations(limit=500)
        except HistoryUnavailable as exc:
            self.notify(exc.message, title="History", severity="error")
            return

        async def chosen(conversation_id: int | None) -> None:
            if conversation_id is not None and conversation_id != self.conversation_id:
                await self.reopen(conversation_id)

        def search(text: str) -> set[int]:
            try:
                return {e.conversation_id for e in self.history.search(text, limit=5000)}
            except HistoryUnavailable:
                return set()

        self.push_screen(ConversationsScreen(conversations, current=self.conversation_id, search=search), chosen)

    async def reopen(self, conversation_id: int) -> None:
        """Show a past conversation again and go on with it: its follow-ups resolve against its questions."""
        if self.history is None:
            return
        try:
            exchanges = self.history.exchanges(conversation_id)
        except HistoryUnavailable as exc:
            self.notify(exc.message, title="History", severity="error")
            return
        if not exchanges:
            self.notify(f"No conversation {conversation_id} in the history.", severity="warning")
            return
        await self._empty_transcript()
        turns = [Turn(e.question) for e in exchanges]
        transcript = self.query_one("#transcript", VerticalScroll)
        await transcript.mount_all(turns)
        box = self.query_one(QuestionInput)
        for turn, exchange in zip(turns, exchanges, strict=True):
            turn.set_searched(exchange.searched_question)
            answer = exchange.to_answer()
            await turn.show_answer(answer, labels=labels(answer.citations, self.engine))
            self.conversation.add(exchange.searched_question)
            box.remember(exchange.question)
        self.conversation_id = conversation_id
        self._select(turns[-1])
        transcript.scroll_end(animate=False)
        count = len(exchanges)
        self.notify(
            f"Conversation {conversation_id} reopened ({count} question{'s' if count != 1 else ''}):"
            " follow-ups go on from it.",
            title="History",
        )

    # -- citations ---------------------------------------------------------------
    def _select(self, turn: Turn, index: int = 0) -> None:
        if self.selected is not None and self.selected.is_attached:
            self.selected.remove_class("-selected")
        self.selected = turn
        turn.add_class("-selected")
        self.citation_index = index
        self._show_citation()

    def _show_citation(self) -> None:
        panel = self.query_one(CitationPanel)
        answer = self.selected.answer if self.selected else None
        self.workers.cancel_group(self, "citation")  # a citation still being read for is not shown
        if answer is None:
            panel.show_note("Citations appear here: ask a question below.")
        elif not shown_passages(answer):
            panel.show_note("No citation: the documents do not answer this question.")
        elif files_read(shown_passages(answer), self.engine):
            panel.show(answer, self.citation_index, self.engine)
        else:  # not read yet (a reopened conversation), or changed since: read off the UI thread
            panel.show_note(f"Reading {printable(shown_passages(answer)[self.citation_index].source)}…")
            self.run_worker(self._show_when_read(answer, self.citation_index), group="citation", exclusive=True)

    async def _show_when_read(self, answer, index: int) -> None:
        """Show citation ``index`` of ``answer`` once its files are read, in a daemon thread (cancelled, this
        worker shows nothing: another citation was asked for meanwhile)."""
        engine = self.engine
        view = await _off_the_ui_thread(lambda: citation_view(answer, index, engine), "qa-citation")
        self.query_one(CitationPanel).put(view)

    def on_turn_selected(self, event: Turn.Selected) -> None:
        if event.turn.answer is not None:
            self._select(event.turn)

    def action_citation(self, step: int) -> None:
        answer = self.selected.answer if self.selected else None
        if answer is None or not shown_passages(answer):
            self.notify("No citations to show yet.", severity="warning")
            return
        self.citation_index = (self.citation_index + step) % len(shown_passages(answer))
        self._show_citation()

    def action_select_turn(self, step: int) -> None:
        answered = [t for t in self.query(Turn) if t.answer is not None]
        if not answered:
            return
        position = answered.index(self.selected) if self.selected in answered else len(answered)
        turn = answered[max(0, min(len(answered) - 1, position + step))]
        self._select(turn)
        turn.scroll_visible(animate=False)

    def action_scroll_citations(self, lines: int) -> None:
        """Scroll the citations panel (it never takes the focus from the question box)."""
        panel = self.query_one(CitationPanel)
        if abs(lines) > 1:
            (panel.scroll_page_down if lines > 0 else panel.scroll_page_up)(animate=False)
        else:
            panel.scroll_relative(y=lines, animate=False)

    def action_scroll_transcript(self, direction: int) -> None:
        transcript = self.query_one("#transcript", VerticalScroll)
        (transcript.scroll_page_down if direction > 0 else transcript.scroll_page_up)(animate=False)

    def _citation(self):
        """The citation shown in the panel, or None (with a notice)."""
        answer = self.selected.answer if self.selected else None
        passages = shown_passages(answer) if answer is not None else []
        if not passages:
            self.notify("No citation shown yet.", severity="warning")
            return None
        return passages[min(self.citation_index, len(passages) - 1)]

    def action_copy_citation(self) -> None:
        """Copy the citation shown: file:line, then the quoted passage."""
        citation = self._citation()
        if citation is None:
            return
        self.copy_to_clipboard(f"{citation_ref(citation)}\n{citation.text}")
        self.notify(f"Copied {citation_ref(citation)} and its quote.", title="Clipboard")

    def action_open_citation(self) -> None:
        """Open the cited file at the line in $VISUAL or $EDITOR (else $PAGER), the chat suspended meanwhile."""
        citation = self._citation()
        if citation is None:
            return
        if located(citation):
            # The command finds the file from this index, wherever it is typed.
            index = (
                ""
                if getattr(self.engine, "is_default_index", True)
                else f" --index {shlex.quote(str(self.engine.index_dir))}"
            )
            self.notify(
                f"{citation.source} is not plain text: its lines are those of the extracted text."
                f" `qa show{index} {shlex.quote(citation_ref(citation))}` prints them.",
                severity="warning",
                markup=False,
            )
            return
        path = source_path(citation.source, self.engine)
        if path is None:
            self.notify(f"{citation.source} is not where it was indexed.", severity="error")
            return
        if self._hand_over(editor_command(path, citation.start_line)):
            self._show_citation()  # the file may have changed: then a refresh is offered
            self._check_freshness(self.selected.answer)

    # -- generated answers --------------------------------------------------------
    def _show_mode(self) -> None:
        if self.state == "ready":
            self.sub_title = "ready · generated answers (LLM)" if self.generate else "ready"

    def action_toggle_llm(self) -> None:
        """Generated (LLM) or extractive answers, for the next questions."""
        if self.llm is None:
            self.notify(
                "No LLM endpoint is set: start the chat with --llm-url URL (or set QA_LLM_URL) for generated answers.",
                severity="warning",
                markup=False,
            )
            return
        self.generate = not self.generate
        if self.generate:
            where = self.llm.display_url + (f", model {self.llm.model}" if self.llm.model else "")
            message = (
                f"Generated answers: written by the LLM at {where}, shown only if the cited passages "
                "hold their dates, numbers and names."
            )
        else:
            message = "Extractive answers: quoted from the documents, no LLM."
        self.notify(message, title="Next answers", markup=False)
        self._show_mode()

    def action_stop(self) -> None:
        """Stop the answer the LLM is writing: the turn gets the extractive answer at once, and the next
        question starts."""
        if self.answering and not self._cancel.is_set():
            self._cancel.set()

    def on_unmount(self) -> None:
        self._cancel.set()  # a generation under way stops at once
        previous = getattr(self, "_previous_cache_notice", None)
        if previous is not None:
            from qa.embedding import set_cache_notice

            set_cache_notice(previous)

    # -- other actions -------------------------------------------------------------
    async def action_clear(self) -> None:
        """A new conversation: transcript, queue and follow-up context emptied (question history kept); the
        previous conversation stays in the history, ctrl+o reopens it."""
        kept = self.conversation_id
        await self._empty_transcript()
        if kept is not None and self.history is not None and self.keep:
            self.notify(f"New conversation. The previous one ({kept}) is kept: ctrl+o lists them.", title="History")

    async def _empty_transcript(self) -> None:
        self._cancel.set()  # the answer being written is for a turn that goes away
        self._pending.clear()
        self.conversation.clear()
        self.conversation_id = None
        self.selected = None
        await self.query(Turn).remove()
        self._show_citation()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def on_question_input_help_requested(self) -> None:
        self.action_help()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # The built-in "Keys" panel is replaced by the chat's own keys screen.
        yield from (c for c in super().get_system_commands(screen) if c.title != "Keys")
        yield SystemCommand("Keys", "List the keys of the chat", self.action_help)
        yield SystemCommand("New conversation", "Start afresh; this one stays in the history", self.action_clear)
        yield SystemCommand("Conversations", "Reopen a past conversation and go on with it", self.action_conversations)
        yield SystemCommand("Copy the citation", "Copy file:line and the quote", self.action_copy_citation)
        yield SystemCommand("Open the cited file", "Open it at the line in $EDITOR (F4)", self.action_open_citation)
        yield SystemCommand("Ask again", "Ask the last question again (ctrl+r)", self.action_retry)
        yield SystemCommand("Compose in the editor", "Write the question in $EDITOR (F2)", self.action_compose)
        yield SystemCommand("Refresh the index", "Re-read the files changed since indexing (F5)", self.action_refresh)
        yield SystemCommand(
            "Generated or extractive answers",
            "Switch between answers written by the LLM (checked against the passages) and quoted ones",
            self.action_toggle_llm,
        )
        yield SystemCommand(
            "Stop the generated answer",
            "Stop the answer the LLM is writing and show the extractive one (Esc)",
            self.action_stop,
        )
        yield SystemCommand("Next citation", "Show the next cited passage", lambda: self.action_citation(1))
        yield SystemCommand("Previous citation", "Show the previous cited passage", lambda: self.action_citation(-1))
        yield SystemCommand("Earlier answer", "Select the earlier answer", lambda: self.action_select_turn(-1))
        yield SystemCommand("Later answer", "Select the later answer", lambda: self.action_select_turn(1))


def _in_background(work, name: str) -> None:
    threading.Thread(target=work, name=name, daemon=True).start()


async def _off_the_ui_thread(work, name: str):
    """``work()`` computed in a daemon thread and awaited: the UI goes on meanwhile, and quitting never waits for
    it (a Textual thread worker runs in asyncio's default executor, which App.run waits for on exit)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def settle(result, error: BaseException | None) -> None:
        if done.done():  # the awaiting worker was cancelled meanwhile
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)

    def run() -> None:
        try:
            result, error = work(), None
        except Exception as exc:  # noqa: BLE001 - raised where it is awaited
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the event loop is closed: the chat has quit
            loop.call_soon_threadsafe(settle, result, error)

    _in_background(run, name)
    return await done


# Editors told the line as FILE:LINE (-g for VS Code); the others take +LINE (vi, vim, nvim, nano, emacs,
# micro, kak), and less +LINEg.
_FILE_COLON_LINE = {"hx", "helix", "subl", "zed"}


def editor_command(path: Path, line: int) -> list[str]:
    """The command that opens ``path`` at ``line``: $VISUAL, else $EDITOR, else $PAGER, else less or vi.

    These are the terminal's own conventions, shared by every program the person runs, not options of qa
    (qa.config.Settings): read here, when a file is opened."""
    spelled = os.environ.get("VISUAL") or os.environ.get("EDITOR") or os.environ.get("PAGER") or ""
    command = shlex.split(spelled) if spelled.strip() else ["less" if _which("less") else "vi"]
    program = Path(command[0]).name
    line = max(1, line)
    if program in ("code", "code-insiders", "codium"):
        return [*command, "-g", f"{path}:{line}"]
    if program in _FILE_COLON_LINE:
        return [*command, f"{path}:{line}"]
    if program == "less":
        return [*command, f"+{line}g", str(path)]
    return [*command, f"+{line}", str(path)]


def compose_command(path: Path) -> list[str]:
    """The command that edits the question in ``path``: $VISUAL, else $EDITOR, else vi (a pager cannot write)."""
    spelled = os.environ.get("VISUAL") or os.environ.get("EDITOR") or ""
    command = shlex.split(spelled) if spelled.strip() else ["vi"]
    return [*command, str(path)]


def _which(program: str) -> bool:
    import shutil

    return shutil.which(program) is not None


def create_app(engine, llm=None, history=None, conversation_id: int | None = None, keep: bool = True) -> ChatApp:
    """The chat over ``engine``; ``llm`` (qa.llm.LLMSettings) turns generated answers on; answers are kept in
    ``history`` (qa.history.History) if given (and ``keep``), and ``conversation_id`` is reopened at the start."""
    return ChatApp(engine, llm=llm, history=history, conversation_id=conversation_id, keep=keep)


def run(engine, llm=None, history=None, conversation_id: int | None = None, keep: bool = True, settings=None) -> int:
    """Run the chat until the person quits; the exit status. ``history`` defaults to the user's: the one
    ``settings`` (qa.config.Settings) names, $QA_HISTORY or the user data folder."""
    if history is None:
        from qa.history import History

        history = History(settings.history_path if settings is not None else None)
    app = create_app(engine, llm=llm, history=history, conversation_id=conversation_id, keep=keep)
    app.run()
    status = app.return_code or 0
    if app.state == "loading" or app.answering or getattr(app, "refreshing", False):
        # A worker thread is still inside the engine (loading a model, building
        # the index), and Python would wait for it before exiting: seconds, or
        # minutes for a build. The terminal is already restored and an
        # interrupted build leaves the live index untouched, so leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status
