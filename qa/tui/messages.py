"""The messages the chat's threads post to the app (``post_message`` is thread-safe): loading, answers,
drafts of generated answers, refreshes, crashes."""

from __future__ import annotations

from textual.message import Message

from qa.tui.widgets import Turn


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
