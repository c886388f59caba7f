"""A cited passage in its surrounding lines, read back from the source file.

The passage is found by its character offsets, and shown only if the file still
says exactly what was indexed; otherwise the indexed text alone is shown, with
a warning, so the panel never points at the wrong words. A PDF, HTML or DOCX
file is read as the index read it (``qa.documents.load``: its extracted text,
a PDF passage's lines and offsets counted from its page).
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text

from qa import formats
from qa.citations import citation_ref, labels, located, source_path
from qa.documents import decode, line_starts, load
from qa.tui.literal import literal

__all__ = ["citation_ref", "labels", "located", "source_path", "render_context", "context_lines"]

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


# The extracted text of the last few PDF, HTML and DOCX files shown, by (path, size, modification time):
# extracting a long PDF again for each citation shown would hold the chat up.
_EXTRACTED: dict[tuple[str, int, int], formats.Extracted] = {}
_EXTRACTED_KEPT = 4


def cited_text(citation, path: Path) -> str | None:
    """The text the citation's lines and offsets count in: the file's decoded text, a PDF page's
    extracted text, or an HTML or DOCX file's; None when the file cannot be read."""
    try:
        if formats.format_of(path) is None:
            return decode(path.read_bytes())
        info = path.stat()
        key = (str(path), info.st_size, info.st_mtime_ns)
        extracted = _EXTRACTED.get(key)
        if extracted is None:
            extracted = load(path)
            while len(_EXTRACTED) >= _EXTRACTED_KEPT:
                del _EXTRACTED[next(iter(_EXTRACTED))]
            _EXTRACTED[key] = extracted
    except (OSError, ValueError):  # UndecodableFile is a ValueError
        return None
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
