"""A cited passage in its surrounding lines, read back from the source file.

The passage is found by its character offsets, and shown only if the file still
says exactly what was indexed; otherwise the indexed text alone is shown, with
a warning, so the panel never points at the wrong words. A PDF, HTML or DOCX
file is read as the index read it (``qa.documents.load``: its extracted text,
a PDF passage's lines and offsets counted from its page).

Reading a file can take long (a PDF extracted in the reading worker, up to its
time limit), so the chat reads the cited files off its UI thread (``read_files``:
in the thread that answers, or in a worker) and keeps the last few read; what is
shown is made from them (``files_read`` says whether that can be done at once).
"""

from __future__ import annotations

import threading
from pathlib import Path

from rich.table import Table
from rich.text import Text

from qa import formats
from qa.citations import citation_ref, located, source_path
from qa.citations import labels as labels_from_disk
from qa.documents import decode, line_starts, load
from qa.tui.literal import literal

__all__ = [
    "citation_ref",
    "labels",
    "located",
    "source_path",
    "render_context",
    "context_lines",
    "read_files",
    "files_read",
]

PASSAGE_STYLE = "bold underline"
ANSWER_STYLE = "bold black on #e5c07b"
OUTSIDE_STYLE = "dim"
GUTTER_STYLE = "dim"
# Lines beyond the passage's paragraph are cut to this many characters, and a
# very long paragraph to this many on each side of the passage.
NEIGHBOUR_CHARS = 160
CONTEXT_CHARS = 700


def answer_spans(citation, highlights: list[tuple[int, int]], short_answer: str) -> list[tuple[int, int]]:
    """Where the short answer sits in a citation's text (offsets into that text)."""
    spans = [(s, e) for s, e in highlights if 0 <= s < e <= len(citation.text)]
    if not spans and short_answer:
        start = citation.text.find(short_answer)
        while start >= 0:
            spans.append((start, start + len(short_answer)))
            start = citation.text.find(short_answer, start + 1)
    return spans


def render_context(citation, where, spans: list[tuple[int, int]]) -> Table:
    """Numbered lines around the passage: the passage underlined, the answer highlighted.

    A grid, so that a long wrapped line stays indented past the line numbers.
    """
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", style=GUTTER_STYLE, no_wrap=True)
    grid.add_column(ratio=1)
    for number, text in context_lines(citation, where, spans):
        grid.add_row(str(number) if number else "", text)
    return grid


def context_lines(citation, where, spans: list[tuple[int, int]]) -> list[tuple[int, Text]]:
    """(line number, shown text) around the passage; number 0 for a note that is not a line. The file is
    found by ``where`` (the engine: from its index's folders), as qa.citations.source_path does."""
    path = source_path(citation.source, where)
    file_text = cited_text(citation, path) if path is not None else None
    if file_text is None or file_text[citation.start_char : citation.end_char] != citation.text:
        note = Text("the file has changed or moved since it was indexed: showing the indexed text", "italic dim")
        return [(0, note), (citation.start_line, _styled(citation.text, False, (0, len(citation.text)), spans))]

    starts = line_starts(file_text)  # the same line numbering as the citations
    first_context = citation.context_start_line or citation.start_line
    last_context = max(citation.context_end_line, citation.end_line)
    first = max(1, first_context - 1)
    last = min(len(starts), last_context + 1)
    rows = []
    for number in range(first, last + 1):
        begin = starts[number - 1]
        end = starts[number] - 1 if number < len(starts) else len(file_text)
        line = file_text[begin:end].rstrip("\r")
        # Offsets of the passage and the answer, relative to this line.
        passage = (citation.start_char - begin, citation.end_char - begin)
        answers = [(passage[0] + s, passage[0] + e) for s, e in spans]
        inside = first_context <= number <= last_context
        lo, hi = _window(line, passage, inside)
        shown = Text("…" if lo > 0 else "", style=OUTSIDE_STYLE)
        shifted = [(s - lo, e - lo) for s, e in answers]
        shown.append_text(_styled(line[lo:hi], not inside, (passage[0] - lo, passage[1] - lo), shifted))
        if hi < len(line):
            shown.append("…", style=OUTSIDE_STYLE)
        rows.append((number, shown))
    return rows


# The text of the last few files shown (a text file's decoded text; a PDF, HTML or DOCX file's extraction), by
# (path, size, modification time): read off the UI thread, shown from here. Extracting a long PDF again for each
# citation shown would hold the chat up; an answer cites up to a few files, kept together.
_READ: dict[tuple[str, int, int], str | formats.Extracted] = {}
_READ_KEPT = 8
_read_lock = threading.Lock()  # the answering thread, the citation worker and the UI thread share _READ


def _key(path: Path) -> tuple[str, int, int] | None:
    try:
        info = path.stat()
    except (OSError, ValueError):
        return None
    return (str(path), info.st_size, info.st_mtime_ns)


def _read(path: Path) -> str | formats.Extracted:
    """The file's text as citations count in it, kept for the next time (OSError, ValueError when unreadable)."""
    key = _key(path)
    with _read_lock:
        if key in _READ:
            return _READ[key]
    read = decode(path.read_bytes()) if formats.format_of(path) is None else load(path)
    if key is not None:
        with _read_lock:
            while len(_READ) >= _READ_KEPT:
                del _READ[next(iter(_READ))]
            _READ[key] = read
    return read


def _paths(citations, where) -> list[Path]:
    return [p for p in dict.fromkeys(source_path(c.source, where) for c in citations) if p is not None]


def read_files(citations, where) -> None:
    """Read the files of ``citations`` (found by ``where``) into the texts kept: slow, so never on the UI thread.
    A file that cannot be read is left out (what is shown then says so)."""
    for path in _paths(citations, where):
        try:
            _read(path)
        except (OSError, ValueError):  # UndecodableFile is a ValueError
            pass


def files_read(citations, where) -> bool:
    """Whether the files of ``citations`` are kept as they are now (a look at their size and time, no reading):
    then what the panel shows of them can be made at once, on the UI thread."""
    with _read_lock:
        return all(_key(path) in _READ for path in _paths(citations, where))


def labels(citations, where) -> list[str]:
    """qa.citations.labels, reading the files kept (``read_files``) rather than the disk when it can."""
    return labels_from_disk(citations, where, read=_text)


def _text(path: Path) -> str:
    """The text a citation's offsets count in (a PDF, HTML or DOCX file's extracted text)."""
    read = _read(path)
    return read if isinstance(read, str) else read.text


def cited_text(citation, path: Path) -> str | None:
    """The text the citation's lines and offsets count in: the file's decoded text, a PDF page's
    extracted text, or an HTML or DOCX file's; None when the file cannot be read."""
    try:
        read = _read(path)
    except (OSError, ValueError):  # UndecodableFile is a ValueError
        return None
    if isinstance(read, str):
        return read
    extracted = read
    if extracted.format == formats.PDF:
        page = getattr(citation, "page", 0)
        return extracted.page_text(page) if 1 <= page <= len(extracted.pages) else None
    return extracted.text


def _window(line: str, passage: tuple[int, int], inside: bool) -> tuple[int, int]:
    """The part of a line worth showing: all of a short one, else the part nearest the passage."""
    if not inside:
        if len(line) <= NEIGHBOUR_CHARS:
            return 0, len(line)
        # A line before the passage keeps its end, a line after keeps its start;
        # both are cut at a space so no word is shown in part.
        if passage[0] >= len(line):
            space = line.find(" ", len(line) - NEIGHBOUR_CHARS)
            return (space + 1 if space >= 0 else len(line) - NEIGHBOUR_CHARS), len(line)
        space = line.rfind(" ", 0, NEIGHBOUR_CHARS)
        return 0, space if space > 0 else NEIGHBOUR_CHARS
    lo = max(0, passage[0] - CONTEXT_CHARS)
    hi = min(len(line), max(passage[1], 0) + CONTEXT_CHARS)
    # Cut at spaces so no word is shown in part.
    if lo > 0:
        space = line.find(" ", lo)
        lo = space + 1 if 0 <= space < max(passage[0], lo + 1) else lo
    if hi < len(line):
        space = line.rfind(" ", min(passage[1], hi), hi)
        hi = space if space > 0 else hi
    return lo, hi


def _styled(text: str, dim: bool, passage: tuple[int, int], answers: list[tuple[int, int]]) -> Text:
    """``text`` shown literally, with the passage and answer spans (clipped to it) styled."""
    out = literal(text, style=OUTSIDE_STYLE if dim else "")
    length = len(out.plain)  # literal() keeps one character per character
    for (start, end), style in [(passage, PASSAGE_STYLE)] + [(span, ANSWER_STYLE) for span in answers]:
        if end > 0 and start < length:
            out.stylize(style, max(0, start), min(length, end))
    return out
