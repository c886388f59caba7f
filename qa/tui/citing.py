"""The citations panel: the turn selected, the citation shown (its file read off the UI thread), moving
through them, scrolling, copying one.

A part of ``ChatApp`` (qa.tui.app), which it is mixed into: its methods use the app's state and widgets."""

from __future__ import annotations

from textual.containers import VerticalScroll

from qa.tui.context import citation_ref, files_read
from qa.tui.literal import printable
from qa.tui.threads import off_the_ui_thread
from qa.tui.widgets import CitationPanel, Turn, citation_view, shown_passages


class CitationActions:
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
        view = await off_the_ui_thread(lambda: citation_view(answer, index, engine), "qa-citation")
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
