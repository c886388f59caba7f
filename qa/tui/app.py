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

``ChatApp`` is the layout, the loading, the asking and answering; its other parts are mixed in from
``citing`` (the citations panel), ``editor`` (F2, F4), ``refreshing`` (F5), ``keeping`` (conversations kept)
and ``generating`` (LLM drafts); ``messages`` are what the threads (``threads``) post to it.

``create_app(engine, llm=None, history=None)`` is used by both ``run`` and the tests, which pass a fake
engine with the same three members: ``prepare``, ``answer`` and ``index``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from qa.api import clean_question
from qa.conversation import Conversation
from qa.errors import QAError
from qa.tui.citing import CitationActions
from qa.tui.context import labels, read_files
from qa.tui.editor import EditorActions, compose_command, editor_command
from qa.tui.generating import GenerationActions
from qa.tui.help import HelpScreen
from qa.tui.keeping import ConversationActions
from qa.tui.literal import printable
from qa.tui.messages import Answered, Crashed, Drafting, DraftRestart, DraftToken, Loaded, LoadFailed, LoadProgress
from qa.tui.refreshing import RefreshActions
from qa.tui.styles import CSS
from qa.tui.threads import in_background
from qa.tui.widgets import CitationPanel, LoadStatus, QuestionInput, Turn, shown_passages

# The editor's commands, importable from here as before qa.tui.editor held them.
__all__ = ["ChatApp", "compose_command", "create_app", "editor_command", "run"]

WELCOME = (
    "Ask a question about the documents. Each answer quotes them and cites file:line; "
    "the passage is shown on the right. Follow-ups may say “it” or “And …?”. F1 lists the keys."
)


class ChatApp(CitationActions, EditorActions, RefreshActions, ConversationActions, GenerationActions, App[int]):
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

    def __init__(
        self, engine, llm=None, history=None, conversation_id: int | None = None, keep: bool = True, environ=None
    ):
        super().__init__()
        self.engine = engine
        # $VISUAL, $EDITOR and $PAGER, read when F2/F4 hand the terminal over (qa.tui.editor): the process's.
        self.environ = os.environ if environ is None else environ
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
        in_background(self._load, "qa-load")
        if self._reopen_at_start is not None:
            await self.reopen(self._reopen_at_start)

    def notify(self, message: str, *, title: str = "", severity="information", timeout=None, markup=True) -> None:
        """Every notification shown literally: file names and messages can hold escape sequences and markup."""
        super().notify(
            printable(str(message)), title=printable(str(title)), severity=severity, timeout=timeout, markup=False
        )

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
        in_background(lambda: self._answer(turn, llm, cancel), "qa-answer")

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


def create_app(
    engine, llm=None, history=None, conversation_id: int | None = None, keep: bool = True, environ=None
) -> ChatApp:
    """The chat over ``engine``; ``llm`` (qa.llm.LLMSettings) turns generated answers on; answers are kept in
    ``history`` (qa.history.History) if given (and ``keep``), and ``conversation_id`` is reopened at the start;
    ``environ``: where the editor's variables are read ($VISUAL, $EDITOR, $PAGER; the process's by default)."""
    return ChatApp(engine, llm=llm, history=history, conversation_id=conversation_id, keep=keep, environ=environ)


def run(
    engine,
    llm=None,
    history=None,
    conversation_id: int | None = None,
    keep: bool = True,
    settings=None,
    make_app=create_app,
) -> int:
    """Run the chat until the person quits; the exit status. ``history`` defaults to the user's: the one
    ``settings`` (qa.config.Settings) names, $QA_HISTORY or the user data folder. ``make_app``: what makes the
    app from these (create_app)."""
    if history is None:
        from qa.history import History

        history = History(settings.history_path if settings is not None else None)
    app = make_app(engine, llm=llm, history=history, conversation_id=conversation_id, keep=keep)
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
