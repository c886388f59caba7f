"""The chat tests' fake engine, its document, and the waits and views they share (not a test module).

``FakeEngine`` has the engine's interface (prepare, answer, index) over a small
document written to a temporary folder, so the chat tests run in well under a
second each and show real files in the citations panel.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from rich.console import Console
from servers import SECRET
from textual.widgets import Markdown, Static

from qa.answering import Answer, Citation
from qa.errors import IndexUnavailable
from qa.llm import LLMSettings
from qa.tui.app import create_app
from qa.tui.widgets import CitationPanel, QuestionInput, Turn

SIZE = (140, 45)
SOURCE = "notes/deepseek.txt"
DOCUMENT = (
    "DeepSeek en bref\n"
    "Depuis le mois dernier, le nombre d’usagers a augmenté. Au 31 janvier, DeepSeek n’était accessible que "
    "depuis 21 jours, ayant été lancée le 11 janvier 2025. Ses utilisateurs quotidiens ont atteint 22,15 millions "
    "d’utilisateurs actifs.\n"
    "Une ligne avec des [bold]crochets[/bold] et un échappement \x1b[31m rouge.\n"
    "Fin du document.\n"
)
LAUNCH = "Au 31 janvier, DeepSeek n’était accessible que depuis 21 jours, ayant été lancée le 11 janvier 2025."
USERS = "Ses utilisateurs quotidiens ont atteint 22,15 millions d’utilisateurs actifs."
BRACKETS = "Une ligne avec des [bold]crochets[/bold] et un échappement \x1b[31m rouge."


def citation(n: int, sentence: str, score: float = 0.9) -> Citation:
    start = DOCUMENT.index(sentence)
    line = DOCUMENT[:start].count("\n") + 1
    return Citation(n, SOURCE, line, line, sentence, score, start, start + len(sentence), line, line)


def answer_for(question: str, searched: str, short: str, *sentences: str) -> Answer:
    citations = [citation(i + 1, s, 0.9 - i / 10) for i, s in enumerate(sentences)]
    start = sentences[0].find(short)
    return Answer(
        question=question,
        answer=f"{short} — «{sentences[0]}» [1]",
        abstained=False,
        citations=citations,
        short_answer=short,
        searched_question=searched,
        highlights=[(start, start + len(short))] if start >= 0 else [],
    )


class FakeEngine:
    """The engine's interface with canned answers; ``gate`` holds ``prepare`` back like a slow model load."""

    def __init__(self, root: Path, gate: threading.Event | None = None, fail: str | None = None):
        (root / "notes").mkdir(parents=True, exist_ok=True)
        (root / SOURCE).write_text(DOCUMENT, encoding="utf-8")
        self.root = root
        self.index = None
        self.gate = gate
        self.fail = fail
        self.asked: list[tuple[str, str | None]] = []

    def path_of(self, source: str) -> Path:
        """Where a cited file is: as the engine finds it from its index's folders."""
        return self.root / source

    def prepare(self, notice=None, progress=None):
        if progress:
            progress("loading the encoders", 1, 4)
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail:
            raise IndexUnavailable(self.fail)

    def answer(self, question, top_k=3, searched_question=None, notice=None):
        self.asked.append((question, searched_question))
        searched = searched_question or question
        if "launched" in searched:
            return answer_for(question, searched, "11 janvier 2025", LAUNCH, USERS, BRACKETS)
        if "daily users" in searched and "DeepSeek" in searched:
            return answer_for(question, searched, "22,15 millions", USERS, LAUNCH)
        if "brackets" in searched:
            return answer_for(question, searched, "[bold]crochets[/bold]", BRACKETS)
        # An abstention with the passages nearest to the question (not an answer), when "founded" is asked.
        nearest = [citation(1, LAUNCH, 0.3), citation(2, USERS, 0.2)] if "founded" in searched else []
        return Answer(
            question=question, answer="", abstained=True, citations=[], searched_question=searched, nearest=nearest
        )


def make_app(tmp_path: Path, environ=None, **kwargs):
    """The chat over a FakeEngine (``kwargs``); ``environ``: its $EDITOR and the like (none by default)."""
    return create_app(FakeEngine(tmp_path, **kwargs), environ={} if environ is None else environ)


async def wait_until(pilot, predicate, timeout: float = 10.0, what: str = "the condition") -> None:
    """Let the app run until ``predicate()`` holds (no fixed sleeps: fast when it is fast)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def text_of(widget: Static) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=200, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


def panel_text(app) -> str:
    panel = app.query_one(CitationPanel)
    return text_of(panel.query_one("#citation-tabs", Static)) + text_of(panel.query_one("#citation-body", Static))


def answered(app, count: int = 1):
    """``count`` answers on screen, and the app idle (no answer being computed or shown)."""
    return lambda: not app.answering and sum(t.answer is not None for t in app.query(Turn)) >= count


async def ask(pilot, question: str) -> None:
    await pilot.click("#question")
    pilot.app.query_one(QuestionInput).value = question
    await pilot.press("enter")


def llm_app(tmp_path: Path, url: str):
    return create_app(FakeEngine(tmp_path), llm=LLMSettings(url=url, model="fake-model", api_key=SECRET))


def everything_shown(app) -> str:
    """All the text of the screen's widgets, the notifications and the titles."""
    texts = [text_of(w) for w in app.query(Static)]
    texts += [m.source for m in app.query(Markdown)]
    texts += [n.message for n in app._notifications] + [app.title, app.sub_title]
    return "\n".join(texts)
