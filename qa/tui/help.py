"""The keys screen (F1, or "?" on an empty question line)."""

from __future__ import annotations

from rich.table import Table
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = [
    ("Enter", "ask the question (a pasted one is kept whole)"),
    ("F2", "write the question in $EDITOR, asked when saved"),
    ("ctrl+r", "ask the last question again"),
    ("↑ / ↓", "recall earlier questions"),
    ("ctrl+n / ctrl+b", "next / previous citation of the selected answer"),
    ("ctrl+↑ / ctrl+↓", "select the earlier / later answer (or click it)"),
    ("PageUp / PageDown", "scroll the transcript"),
    ("shift+↑ / shift+↓", "scroll the citation (shift+PageUp / PageDown: a page)"),
    ("ctrl+g", "generated (LLM) or extractive answers, with --llm-url"),
    ("Esc", "stop the LLM's answer, show the extractive one"),
    ("ctrl+y", "copy the citation shown (file:line and the quote)"),
    ("F4", "the cited file in $EDITOR, at its line (or click it)"),
    ("F5", "refresh the index when a cited file changed"),
    ("ctrl+l", "new conversation (ctrl+o reopens this one)"),
    ("ctrl+o", "past conversations: reopen one and go on with it"),
    ("ctrl+p", "command palette: the same actions by name"),
    ("F1 or ?", "this list (? on an empty question line)"),
    ("ctrl+q", "quit"),
]

ABOUT = (
    "Answers quote the documents and cite file:line. A follow-up such as “And how many users does it have?” "
    "is resolved against the earlier questions; the question actually searched is shown under yours. "
    "In the citations panel the passage is underlined and the answer highlighted. "
    "A generated answer streams in as a draft and is shown only if the passages it cites hold its facts; "
    "otherwise the quoted answer is shown, with the reason."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close")]

    def compose(self):
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, action in KEYS:
            table.add_row(key, action)
        # Scrolls when the terminal is small (80x24: the keys, then the text below them); the border says how to close.
        with VerticalScroll(id="help"):
            yield Static(table)
            yield Static(ABOUT, id="help-about", markup=False)

    def on_mount(self) -> None:
        box = self.query_one("#help")
        box.border_title = "Keys"
        box.border_subtitle = "Esc closes this list"
