"""What the `qa` command prints: answers and citations (OSC 8 links on a terminal), JSON lines, index reports,
one-line errors and notices, the progress bar; and standard output guarded against write failures."""

from __future__ import annotations

import errno
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError
from qa.text import UNSAFE_CHARACTERS, count, terminal_safe


def display(text: str) -> str:
    """Text from documents, safe for a terminal: control characters shown, never executed.

    Markup such as ``[bold]`` needs nothing: the CLI prints plain text.
    """
    # A passage hard-wrapped over several lines reads as one line here (qa.text.terminal_safe).
    return terminal_safe(text)


def json_line(data: dict) -> str:
    """JSON on one line, readable (non-ASCII kept) but terminal-safe: unsafe characters as \\u escapes."""
    return UNSAFE_CHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False))


def print_json_lines(items) -> int:
    """A listing under --json: one object a line (each item's ``to_dict``)."""
    for item in items:
        print(json_line(item.to_dict()))
    return 0


def notice(message: str) -> None:
    print(f"qa: {display(message)}", file=sys.stderr, flush=True)


def print_error(message: str, code: int, as_json: bool = False) -> None:
    """One line: ``qa: <message>`` on stderr, or under --json ``{"error": ..., "code": N}`` on stdout."""
    if as_json:
        print(json_line({"error": message, "code": code}), flush=True)
    else:
        notice(message)


class OutputFailed(QAError):
    """Standard output cannot be written (a full disk, a device error): said on stderr, never as a traceback."""


class GuardedOutput:
    """Standard output, whose write failures become OutputFailed (a closed pipe stays BrokenPipeError)."""

    def __init__(self, stream):
        self._stream = stream

    def _guard(self, method, *args):
        try:
            return method(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            reason = exc.strerror or errno.errorcode.get(exc.errno or 0, type(exc).__name__)
            raise OutputFailed(f"cannot write the output: {reason}") from None

    def write(self, text):
        return self._guard(self._stream.write, text)

    def flush(self):
        return self._guard(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def drop_pending_output() -> None:
    """Point the real stdout at /dev/null, so that Python's own flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


@dataclass(frozen=True)
class Terminal:
    """What a command knows of the terminal it runs in: whether standard input and standard output are terminals,
    and the terminal's ``$TERM``. ``qa.cli.main`` reads the process's (``Terminal.of_process()``) unless it is
    given one: tests pass the facts instead of patching streams."""

    stdin: bool = False
    stdout: bool = False
    term: str = ""

    @classmethod
    def of_process(cls) -> Terminal:
        # $TERM is the terminal's own variable, not an option of qa: read with the streams it describes.
        return cls(is_terminal(sys.stdin), is_terminal(sys.stdout), os.environ.get("TERM", ""))

    def shows_links(self, wanted: bool | None) -> bool:
        """Whether citations are OSC 8 hyperlinks: ``wanted`` (Settings.hyperlinks, QA_HYPERLINKS=1 on, 0 off),
        else on a terminal output that is not known to show them as text."""
        if wanted is not None:
            return wanted
        return self.stdout and self.term not in ("", "dumb", "linux")


class ProgressBar:
    """One line on stderr per stage, redrawn in place on a terminal."""

    def __init__(self, stream=None, clock=time.monotonic):
        self.stream = stream = stream or sys.stderr
        self.clock = clock  # seconds, for the rate and the time left (a test gives its own)
        self.tty = is_terminal(stream)
        self._last: tuple[str, float] = ("", 0.0)
        self._began: tuple[str, float] = ("", 0.0)  # the stage drawn and when it began

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        finished = done >= total
        if stage != self._began[0]:
            self._began = (stage, now)
        if done == 0 and not self.tty:
            return  # a stage starting is news on a terminal only (a log gets its progress and its end)
        if not finished and stage == self._last[0] and now - self._last[1] < (0.1 if self.tty else 2.0):
            return
        self._last = (stage, now)
        width = 30
        filled = int(width * done / max(total, 1))
        line = f"{stage:22s} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        elapsed = now - self._began[1]
        if stage == "indexing passages" and done and elapsed >= 1.0:  # the whole build's line (qa.indexing)
            line += f"  {done / elapsed:.1f} passages/s"
        if 0 < done < total and elapsed >= 1.0:
            line += f"  about {math.ceil(elapsed * (total - done) / done)} s left"
        elif self.tty:
            line += " " * 20  # clears an estimate drawn before
        if self.tty:
            self.stream.write("\r" + line + ("\n" if finished else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def print_report(report) -> None:
    """One line per file: indexed (with its passage count) or skipped (with the reason)."""
    for source, passages in report.indexed:
        note = " (unchanged, vectors reused)" if source in report.reused else ""
        print(f"indexed  {display(source)}: {count(passages, 'passage')}{note}")
    for skipped in report.skipped:
        print(f"skipped  {display(skipped.path)}: {display(skipped.reason)}")
    sys.stdout.flush()


def print_answer(answer, where=None, hyperlinks: bool = False) -> None:
    """The answer and its citations; ``where`` (the engine) finds the cited files, for columns and links;
    ``hyperlinks``: whether citations link to their files (Terminal.shows_links)."""
    if answer.abstained:
        print("The documents don't say: no passage answers this question.")
        if answer.nearest:
            # Where to look all the same, marked so that no one takes them for an answer.
            print()
            print("Nearest passages (not an answer):")
            _print_citations(answer.nearest, where, hyperlinks)
        return
    print(display(answer.answer))
    if answer.searched_question and answer.searched_question != answer.question:
        print(f"(searched: {display(answer.searched_question)})")
    print()
    _print_citations(answer.citations, where, hyperlinks)


def _print_citations(citations, where=None, hyperlinks: bool = False) -> None:
    from qa.citations import citation_ref, labels, source_path

    links = where is not None and hyperlinks
    # file:line, as qa show reads it; file:line:column where two passages of one line would read the same.
    names = labels(citations, where) if where is not None else [citation_ref(c) for c in citations]
    for c, name in zip(citations, names, strict=True):
        label = display(name)
        print(f"[{c.n}] {_hyperlink(label, source_path(c.source, where)) if links else label}")
        print(f"    {display(c.text)}")


def _hyperlink(label: str, path: Path | None) -> str:
    """``label`` linked to the file (OSC 8), if it is there; its URI percent-encoded, so no control character."""
    try:
        if path is None or not path.is_file():
            return label
        uri = path.resolve().as_uri()
    except (OSError, ValueError):
        return label
    return f"\x1b]8;;{uri}\x1b\\{label}\x1b]8;;\x1b\\"


def emit(answer, llm_notice: str | None = None, as_json: bool = False, where=None, hyperlinks: bool = False) -> None:
    if as_json:
        data = answer.to_dict()
        if llm_notice:
            data["llm_notice"] = llm_notice
        print(json_line(data), flush=True)
    else:
        print_answer(answer, where, hyperlinks)
        if getattr(answer, "answered_by", "") == "llm":
            print("(generated by the LLM; its dates, numbers and names checked against the cited passages)")
