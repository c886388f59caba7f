"""The list of past conversations (ctrl+o): pick one to reopen it and go on with it."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
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
    """The conversations kept in the history, the latest first: typing filters them, up/down pick one,
    Enter reopens it, Esc closes the list."""

    BINDINGS = [
        Binding("escape,ctrl+o", "dismiss", "Close"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
    ]

    def __init__(
        self,
        conversations: list[ConversationSummary],
        current: int | None = None,
        search: Callable[[str], set[int]] | None = None,
    ):
        """``search(text)``: the ids of the conversations whose exchanges hold ``text`` (qa.history)."""
        super().__init__()
        self.conversations = conversations
        self.current = current
        self.search = search

    def compose(self):
        with Vertical(id="conversations"):
            if self.conversations:
                yield Input(
                    placeholder="Type to filter: a word of a question, an answer, a file", id="conversation-filter"
                )
                yield OptionList(*self._options(self.conversations), id="conversation-list", markup=False)
                yield Static("", id="conversations-none")
            else:
                yield Static(
                    Text("No conversations yet: each question asked here or with qa ask is kept.", style="italic"),
                    id="conversations-empty",
                )
            yield Static(
                "↑↓ pick one, Enter reopens it: its answers come back and follow-ups go on from them. Esc closes.",
                id="conversations-hint",
                markup=False,
            )

    def _options(self, conversations: list[ConversationSummary]) -> list[Option]:
        return [Option(describe(c, c.id == self.current), id=str(c.id)) for c in conversations]

    def on_mount(self) -> None:
        self.query_one("#conversations").border_title = "Conversations"
        for box in self.query(Input):
            box.focus()
        for options in self.query(OptionList):
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value.strip()
        shown = self.conversations
        if text:
            found = self.search(text) if self.search else set()
            folded = text.casefold()
            shown = [c for c in shown if c.id in found or folded in c.first_question.casefold()]
        options = self.query_one(OptionList)
        options.set_options(self._options(shown))
        options.highlighted = 0 if shown else None
        none = self.query_one("#conversations-none", Static)
        none.update(Text.assemble("No conversation holds “", literal(text), "”.", style="italic"))
        none.display = not shown

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(int(options.get_option_at_index(options.highlighted).id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id))
