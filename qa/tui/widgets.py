"""The chat's widgets: the question box, one transcript turn, the citations panel, the loading line.

Every string that comes from a document or a person goes through
``qa.tui.literal``: widgets get Rich ``Text`` (never markup strings), and
answers become Markdown with every special character escaped.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Markdown, ProgressBar, Static

from qa.tui.context import answer_spans, citation_ref, render_context
from qa.tui.context import labels as citation_labels
from qa.tui.literal import literal, markdown_literal, printable

NOT_IN_DOCUMENTS = "Not in the documents"
DRAFT_LABEL = "Draft from the LLM, not checked yet"
GENERATED_NOTE = "Written by the LLM; its dates, numbers and names are in the cited passages."
NEAREST_LABEL = "Nearest passages (not an answer):"


def answer_markdown(answer) -> str:
    """The answer as Markdown: the short answer in bold, the rest (quote, [1]) as written."""
    text = answer.answer
    short = answer.short_answer
    if short and text.startswith(short):
        return f"**{markdown_literal(short)}**{markdown_literal(text[len(short) :])}"
    return markdown_literal(text)


def one_line(text: str) -> str:
    """Text pasted or composed over several lines, as the one question it asks: its lines joined by spaces.

    A question pasted from a document or a mail is wrapped where the page wrapped it, not where the person
    meant a break; it still asks one thing, and the engine searches one question (``clean_question`` turns
    every run of spaces and line breaks into one space anyway). So the question box stays one line and a
    paste is joined rather than cut at its first line (Textual's Input keeps only that) or split into
    several questions; the whole question is seen, and can be edited, before Enter asks it.
    """
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


class QuestionInput(Input):
    """The question box: Enter asks, up/down recall earlier questions, "?" on an empty line shows the keys.

    A multi-line paste is kept whole, its lines joined (``one_line``)."""

    BINDINGS = [
        # Not in the footer, which fits 80 columns (the keys screen lists them).
        Binding("enter", "submit", "Ask", show=False),
        # Enter typed while `qa chat` starts, before the terminal is in raw mode, is turned into a line
        # feed by the terminal (ICRNL) and reaches the app as ctrl+j: it asks too, so it is not lost.
        Binding("ctrl+j", "submit", "Ask", show=False),
        Binding("up", "recall(-1)", "History", key_display="↑↓", show=False),
        Binding("down", "recall(1)", "Newer question", show=False),
    ]

    class HelpRequested(Message):
        pass

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.history: list[str] = []
        self._position = 0  # index into history; len(history) is the line being typed
        self._draft = ""

    def remember(self, question: str) -> None:
        if not self.history or self.history[-1] != question:
            self.history.append(question)
        self._position = len(self.history)
        self._draft = ""

    def action_recall(self, step: int) -> None:
        if not self.history:
            return
        if self._position == len(self.history):
            self._draft = self.value
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else self._draft
        self.cursor_position = len(self.value)

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # Input's own handler would insert the first line again
        event.stop()
        if event.text:
            self._insert_pasted(event.text)

    def action_paste(self) -> None:
        """Paste from the app's clipboard (ctrl+v), joined into one line like a terminal paste."""
        self._insert_pasted(self.app.clipboard)

    def _insert_pasted(self, text: str) -> None:
        start, end = self.selection
        # One line is pasted as it is (its spaces too: " and its users" after a word); several are joined.
        lines = text.splitlines()
        self.replace(lines[0] if len(lines) == 1 else one_line(text), *sorted((start, end)))

    async def _on_key(self, event: events.Key) -> None:
        # "?" ends most questions, so it only means help on an empty line.
        if event.character == "?" and not self.value:
            event.prevent_default()
            event.stop()
            self.post_message(self.HelpRequested())
            return
        await super()._on_key(event)


class Turn(Vertical):
    """One question and its answer in the transcript; clicking it shows its citations."""

    class Selected(Message):
        def __init__(self, turn: Turn):
            super().__init__()
            self.turn = turn

    def __init__(self, question: str):
        super().__init__(classes="turn")
        self.question = question
        self.searched = ""
        self.answer = None  # qa.answering.Answer once answered
        self.draft = ""  # what the LLM has streamed so far, before it is checked
        self.notice = None  # why the LLM's answer was not used, if it was not

    def compose(self):
        yield Static(Text.assemble(("› ", "bold"), literal(self.question)), classes="question")
        yield Static("", classes="searched")
        yield Static(Text("Waiting…", style="italic"), classes="status")

    def set_status(self, message: str) -> None:
        self.query_one(".status", Static).update(Text(message, style="italic"))

    def set_searched(self, searched: str) -> None:
        """Show the question actually searched, when the conversation changed it."""
        self.searched = searched
        if searched != self.question:
            line = self.query_one(".searched", Static)
            line.update(Text.assemble(("searched: ", "italic"), literal(searched)))
            line.add_class("-shown")

    async def start_draft(self) -> None:
        """The LLM is writing: its tokens go into a draft that looks provisional until checked."""
        self.set_status("Writing an answer with the LLM… (Esc stops it)")
        if not self.query(".draft"):
            await self.mount(Static(self._draft_text(), classes="draft"))

    def restart_draft(self) -> None:
        self.draft = ""
        self.set_status("Writing an answer with the LLM (second try, as a text completion)…")
        for draft in self.query(".draft").results(Static):
            draft.update(self._draft_text())

    def add_draft(self, text: str) -> None:
        self.draft += text
        for draft in self.query(".draft").results(Static):
            draft.update(self._draft_text())

    def _draft_text(self) -> Text:
        # The model's text is shown literally: never markup, no control characters.
        lines = Text("\n").join(literal(line) for line in (self.draft or "…").split("\n"))
        return Text.assemble((DRAFT_LABEL, "bold"), "\n", lines)

    async def show_answer(self, answer, notice: str | None = None, labels: list[str] | None = None) -> None:
        """The answer, its citations named by ``labels`` (default: file:line each)."""
        await self.query(".status, .draft").remove()
        self.answer = answer
        self.notice = notice
        if answer.abstained:
            message = Text.assemble((NOT_IN_DOCUMENTS, "bold"), " — no passage of the documents answers this question.")
            widgets = [Static(message, classes="abstained")]
            if answer.nearest:
                # Where to look all the same, marked as no answer (the panel shows each, F4 opens it).
                widgets.append(Static(_sources(NEAREST_LABEL + "  ", answer.nearest, labels), classes="nearest"))
            await self.mount(*widgets)
            return
        sources = _sources("", answer.citations, labels)
        widgets = [Markdown(answer_markdown(answer), classes="answer"), Static(sources, classes="sources")]
        if getattr(answer, "answered_by", "") == "llm":
            widgets.append(Static(Text(GENERATED_NOTE), classes="generated"))
        if notice:
            widgets.append(Static(literal(notice[:1].upper() + notice[1:]), classes="llm-notice"))
        await self.mount(*widgets)

    def show_error(self, message: str) -> None:
        status = self.query_one(".status", Static)
        status.update(literal(message))
        status.add_class("-error")

    def on_click(self) -> None:
        self.post_message(self.Selected(self))


def _sources(lead: str, citations, labels: list[str] | None) -> Text:
    """``[1] file:line  [2] …``: the citations (or nearest passages) named by ``labels`` (default: file:line)."""
    labels = labels or [citation_ref(c) for c in citations]
    return Text.assemble(
        (lead, "italic"),
        Text("  ").join(
            Text.assemble((f"[{c.n}] ", "bold"), literal(label)) for c, label in zip(citations, labels, strict=True)
        ),
    )


def shown_passages(answer) -> list:
    """What the panel shows of an answer: its citations, or an abstention's nearest passages."""
    return answer.nearest if answer.abstained else answer.citations


class CitationPanel(VerticalScroll):
    """The cited passages of the selected answer, one at a time, in their surrounding lines."""

    def compose(self):
        yield Static(id="citation-tabs")
        yield Static(id="citation-body")

    def on_mount(self) -> None:
        self.show_note("Citations appear here: ask a question below.")

    def show_note(self, message: str) -> None:
        self.border_title = "Citations"
        self.query_one("#citation-tabs", Static).update("")
        self.query_one("#citation-body", Static).update(Text(message, style="italic"))

    def show(self, answer, index: int, where) -> None:
        """Citation ``index`` of ``answer`` (a nearest passage when it abstained), its file found by ``where``
        (the engine: from its index's folders). Reads the file unless it is kept (context.files_read): the chat
        calls ``citation_view`` off its UI thread, then ``put``."""
        self.put(citation_view(answer, index, where))

    def put(self, view: CitationView) -> None:
        self.border_title = view.title
        self.query_one("#citation-tabs", Static).update(view.tabs)
        self.query_one("#citation-body", Static).update(view.body)
        self.scroll_home(animate=False)


@dataclass(frozen=True)
class CitationView:
    """What the panel shows of one citation, made before it is shown (reading the file may take long)."""

    title: str
    tabs: Text
    body: Group


def citation_view(answer, index: int, where) -> CitationView:
    """The panel's view of citation ``index`` of ``answer``, its file found (and read) by ``where``."""
    citations = shown_passages(answer)
    citation = citations[index]
    if answer.abstained:
        title = f"Nearest passage {index + 1} of {len(citations)} — not an answer"
    else:
        title = f"Citation {index + 1} of {len(citations)}"
    tabs = Text(" ").join(
        Text(f" [{c.n}] ", style="reverse bold" if i == index else "dim") for i, c in enumerate(citations)
    )
    spans = (
        [] if answer.abstained else answer_spans(citation, answer.highlights if index == 0 else [], answer.short_answer)
    )
    # Clicked, the file name opens the file at the line (F4); bold, not underlined, so its underscores show.
    opens = Style(bold=True, meta={"@click": "app.open_citation"})
    label = citation_labels(citations, where)[index]
    heading = Text.assemble((f"[{citation.n}] ", "bold"), (printable(label), opens))
    heading.append(f"  score {citation.score:.2f}", style="dim")
    return CitationView(title, tabs, Group(heading, "", render_context(citation, where, spans)))


class LoadStatus(Horizontal):
    """What the worker is doing while the model loads or the index builds."""

    def compose(self):
        yield Label(Text("Loading the index and the question encoders…"), id="status-label")
        yield ProgressBar(total=None, show_eta=False, id="status-bar")

    def start(self, message: str) -> None:
        """Shown again for another task (a refresh): its message, the bar waiting."""
        self.query_one("#status-label", Label).update(literal(message))
        self.query_one("#status-bar", ProgressBar).update(total=None, progress=0)

    def progress(self, stage: str, done: int, total: int) -> None:
        self.query_one("#status-label", Label).update(literal(f"{stage} ({done}/{total})"))
        self.query_one("#status-bar", ProgressBar).update(total=max(total, 1), progress=done)
