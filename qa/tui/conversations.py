"""The list of past conversations (ctrl+o): pick one to reopen it and go on with it."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from qa.history import ConversationSummary, local_time
from qa.tui.literal import literal

FIRST_QUESTION_CHARS = 90


def describe(summary: ConversationSummary, current: bool = False) -> Text:
    """One line of the list: id, time of the latest question, how many questions, the first one."""
    question = " ".join(summary.first_question.split())
    if len(question) > FIRST_QUESTION_CHARS:
        question = question[: FIRST_QUESTION_CHARS - 1].rstrip() + "…"
    turns = f"{summary.turns} question{'s' if summary.turns != 1 else ''}"
    line = Text.assemble(
        (f"{summary.id:>4}  ", "bold"),
        (f"{local_time(summary.updated)}  {turns:>12}  ", "dim"),
        literal(question),
        no_wrap=True,
        overflow="ellipsis",
    )
    if current:
        line.append("  (this one)", style="italic")
    return line


class ConversationsScreen(ModalScreen[int | None]):
    """The conversations kept in the history, the latest first; Enter reopens one, Esc closes the list."""

    BINDINGS = [Binding("escape,ctrl+o", "dismiss", "Close")]

    def __init__(self, conversations: list[ConversationSummary], current: int | None = None):
        super().__init__()
        self.conversations = conversations
        self.current = current

    def compose(self):
        with Vertical(id="conversations"):
            if self.conversations:
                options = [Option(describe(c, c.id == self.current), id=str(c.id)) for c in self.conversations]
                yield OptionList(*options, id="conversation-list", markup=False)
            else:
                yield Static(
                    Text("No conversations yet: each question asked here or with qa ask is kept.", style="italic"),
                    id="conversations-empty",
                )
            yield Static(
                "Enter reopens the conversation: its answers come back and follow-ups go on from them. Esc closes.",
                id="conversations-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one("#conversations").border_title = "Conversations"
        for options in self.query(OptionList):
            options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id))
