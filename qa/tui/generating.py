"""Generated answers: the draft streamed into its turn, ctrl+g switching between generated and extractive
answers, Esc stopping the generation under way.

A part of ``ChatApp`` (qa.tui.app), which it is mixed into: its methods use the app's state and widgets."""

from __future__ import annotations

from textual.containers import VerticalScroll

from qa.tui.messages import Drafting, DraftRestart, DraftToken


class GenerationActions:
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
