"""`qa chat`: a conversation with the documents, with the cited passages beside it.

The screen is up at once; the engine loads (or builds the index) in a
background thread. Questions are answered one at a time, in the order asked, in
another, so the interface never waits on the engine; a question asked while
loading is queued and answered when the engine is ready. The threads talk to
the app only through messages (``post_message`` is thread-safe).

The threads are daemon threads rather than Textual thread workers: those run
in asyncio's default executor, which ``App.run`` waits for on exit, so ctrl+q
during a model load or an index build would hang until it finished.

With an LLM endpoint (``qa chat --llm-url URL`` or ``QA_LLM_URL``), answers are
generated: the answering thread gets the extractive answer, then calls
``qa.llm.generate_answer`` on it, streaming the model's tokens into the turn as a
draft; the draft is replaced by the verified answer, or by the extractive answer
with the one-line reason. ctrl+g switches between generated and extractive
answers for the next questions.

``create_app(engine, llm=None)`` is used by both ``run`` and the tests, which pass a fake
engine with the same three members: ``prepare``, ``answer`` and ``index``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from qa.api import PROJECT_ROOT, clean_question
from qa.conversation import Conversation
from qa.errors import QAError
from qa.tui.help import HelpScreen
from qa.tui.literal import printable
from qa.tui.styles import CSS
from qa.tui.widgets import CitationPanel, LoadStatus, QuestionInput, Turn

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


class Crashed(Message):
    """An unexpected error in a thread: re-raised in the app, which exits and shows the traceback."""

    def __init__(self, error: BaseException):
        super().__init__()
        self.error = error


class Answered(Message):
    def __init__(self, turn: Turn, answer=None, error: str | None = None, notice: str | None = None):
        super().__init__()
        self.turn, self.answer, self.error, self.notice = turn, answer, error, notice


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
    BINDINGS = [
        Binding("ctrl+n", "citation(1)", "Next citation", priority=True),
        Binding("ctrl+b", "citation(-1)", "Prev citation", priority=True),
        Binding("ctrl+up", "select_turn(-1)", "Earlier answer", show=False, priority=True),
        Binding("ctrl+down", "select_turn(1)", "Later answer", show=False, priority=True),
        Binding("pageup", "scroll_transcript(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_transcript(1)", "Scroll down", show=False),
        Binding("ctrl+g", "toggle_llm", "LLM on/off", priority=True),
        # Not a priority binding: on the keys screen, Esc closes it.
        Binding("escape", "stop", "Stop the LLM", show=False),
        Binding("ctrl+l", "clear", "Clear", priority=True),
        Binding("f1", "help", "Keys"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, engine, llm=None):
        super().__init__()
        self.engine = engine
        self.llm = llm  # qa.llm.LLMSettings, or None: extractive answers only
        self.generate = llm is not None  # ctrl+g switches
        self._cancel = threading.Event()  # set to stop the generation under way
        self.state = "loading"  # then "ready" or "failed"
        self.load_error = ""
        self.conversation = Conversation()
        self._pending: deque[Turn] = deque()
        self.answering = False  # a background thread is computing an answer
        self.selected: Turn | None = None
        self.citation_index = 0

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

    def on_mount(self) -> None:
        self.sub_title = "loading…"
        self.query_one(QuestionInput).focus()
        _in_background(self._load, "qa-load")

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
        try:
            question = clean_question(raw, notice=lambda m: self.notify(m, severity="warning", markup=False))
        except QAError as exc:
            if raw.strip():
                self.notify(exc.message, severity="warning", markup=False)
            return
        event.input.remember(question)
        turn = Turn(question)
        transcript = self.query_one("#transcript", VerticalScroll)
        await transcript.mount(turn)
        transcript.scroll_end(animate=False)
        self._pending.append(turn)
        self._pump()

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
        if self.answering or not self._pending:
            return
        turn = self._pending.popleft()
        # Resolved here, in asking order, so each follow-up sees the turns before it.
        searched = self.conversation.resolve(turn.question)
        self.conversation.add(searched)
        turn.set_searched(searched)
        turn.set_status("Searching the documents…")
        self.answering = True
        self._cancel = cancel = threading.Event()
        llm = self.llm if self.generate else None  # decided when the question starts
        _in_background(lambda: self._answer(turn, llm, cancel), "qa-answer")

    def _answer(self, turn: Turn, llm=None, cancel: threading.Event | None = None) -> None:
        searched = turn.searched if turn.searched != turn.question else None
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
        except QAError as exc:
            self.post_message(Answered(turn, error=exc.message))
        except Exception as exc:  # noqa: BLE001 - a bug: shown as a traceback by the app, not lost in a thread
            self.post_message(Crashed(exc))
        else:
            self.post_message(Answered(turn, answer, notice=notice))

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
                await turn.show_answer(event.answer, notice=event.notice)
                self._select(turn)
            self.query_one("#transcript", VerticalScroll).scroll_end(animate=False)
        # Free only once the answer is on screen: tests wait for this.
        self.answering = False
        self._pump()

    # -- citations ---------------------------------------------------------------
    def roots(self) -> list[Path]:
        """Folders a citation's relative file name may be relative to."""
        found = []
        index = getattr(self.engine, "index", None)
        manifest = getattr(index, "manifest", None)
        if manifest is not None and getattr(manifest, "root", ""):
            found.append(Path(manifest.root))
        if getattr(self.engine, "root", None):
            found.append(Path(self.engine.root))
        return [*found, PROJECT_ROOT, Path.cwd()]

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
        if answer is None:
            panel.show_note("Citations appear here: ask a question below.")
        elif answer.abstained or not answer.citations:
            panel.show_note("No citation: the documents do not answer this question.")
        else:
            panel.show(answer, self.citation_index, self.roots())

    def on_turn_selected(self, event: Turn.Selected) -> None:
        if event.turn.answer is not None:
            self._select(event.turn)

    def action_citation(self, step: int) -> None:
        answer = self.selected.answer if self.selected else None
        if answer is None or not answer.citations:
            self.notify("No citations to show yet.", severity="warning")
            return
        self.citation_index = (self.citation_index + step) % len(answer.citations)
        self._show_citation()

    def action_select_turn(self, step: int) -> None:
        answered = [t for t in self.query(Turn) if t.answer is not None]
        if not answered:
            return
        position = answered.index(self.selected) if self.selected in answered else len(answered)
        turn = answered[max(0, min(len(answered) - 1, position + step))]
        self._select(turn)
        turn.scroll_visible(animate=False)

    def action_scroll_transcript(self, direction: int) -> None:
        transcript = self.query_one("#transcript", VerticalScroll)
        (transcript.scroll_page_down if direction > 0 else transcript.scroll_page_up)(animate=False)

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
        """A fresh conversation: transcript, queue and follow-up context emptied (question history kept)."""
        self._cancel.set()  # the answer being written is for a turn that goes away
        self._pending.clear()
        self.conversation.clear()
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
        yield SystemCommand("Clear", "Clear the conversation and start afresh", self.action_clear)
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


def create_app(engine, llm=None) -> ChatApp:
    """The chat over ``engine``; ``llm`` (qa.llm.LLMSettings) turns generated answers on."""
    return ChatApp(engine, llm=llm)


def run(engine, llm=None) -> int:
    """Run the chat until the person quits; the exit status."""
    app = create_app(engine, llm=llm)
    app.run()
    status = app.return_code or 0
    if app.state == "loading" or app.answering:
        # A worker thread is still inside the engine (loading a model, building
        # the index), and Python would wait for it before exiting: seconds, or
        # minutes for a build. The terminal is already restored and an
        # interrupted build leaves the live index untouched, so leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status
