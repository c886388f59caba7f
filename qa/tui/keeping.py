"""Conversations kept (qa.history): each answer logged, past conversations listed (ctrl+o) and reopened,
a new one started (ctrl+l).

A part of ``ChatApp`` (qa.tui.app), which it is mixed into: its methods use the app's state and widgets."""

from __future__ import annotations

from pathlib import Path

from textual.containers import VerticalScroll

from qa.history import HistoryUnavailable
from qa.tui.context import labels
from qa.tui.conversations import ConversationsScreen
from qa.tui.widgets import QuestionInput, Turn


class ConversationActions:
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
