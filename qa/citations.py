"""How a citation is named, and where its file is: the one place labels are made and read.

A label reads ``FILE:LINE`` or ``FILE:FIRST-LAST``; a PDF passage's adds its page (``guide.pdf#page=N:...``),
an HTML passage's the anchor of its section (``page.html#anchor:...``), and ``:COLUMN`` follows the line where
two passages of one line would otherwise read the same. Inside the file name and the anchor, ``%``, ``#`` and
``:`` are written ``%25``, ``%23`` and ``%3A`` (and ``=`` in an anchor ``%3D``, so that an anchor never reads
as ``page=N``), and a control character percent-encoded (a line break ``%0A``, ESC ``%1B``): every other ``#`` or ``:`` of a label is one of its separators, so ``parse_label(label(x))``
gives ``x`` back for any file name and anchor.

Shared by the CLI and the chat; imports neither Rich nor Textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from qa.documents import BadCitation, decode, line_starts
from qa.text import UNSAFE_CHARACTERS

# A tab too: a terminal shows it as spaces, so "a\tb" would print as the "a    b" of another file.
_ESCAPES = {"%": "%25", "#": "%23", ":": "%3A", "\t": "%09"}
_ANCHOR_ESCAPES = {**_ESCAPES, "=": "%3D"}
# One character percent-encoded as UTF-8 (a lone byte from 80: a surrogate, as os.fsdecode writes one).
_ENCODED_CHARACTER = re.compile(
    r"%[0-7][0-9A-F]|%[CD][0-9A-F]%[89AB][0-9A-F]|%E[0-9A-F](?:%[89AB][0-9A-F]){2}|%F[0-4](?:%[89AB][0-9A-F]){3}"
    r"|%[89A-F][0-9A-F]",
    re.IGNORECASE,
)
# FILE[#FRAGMENT]:FIRST[-LAST][:COLUMN]; FILE and FRAGMENT hold no "#" or ":" of their own (they are escaped),
# but a path typed by hand may (``C:/notes.txt:4``): the line numbers are read from the end.
# ASCII digits only: \d would read other scripts' digits ("١٢") as a line number.
_LABEL = re.compile(r"(?P<head>.+?):(?P<start>\d+)(?:-(?P<end>\d+))?(?::(?P<column>\d+))?", re.DOTALL | re.ASCII)
_PAGE = re.compile(r"page=(?P<page>.*)", re.DOTALL)


@dataclass(frozen=True)
class CitationRef:
    """What a label names: a file (as the index names it), its lines, and the page or anchor they stand in."""

    source: str
    start_line: int
    end_line: int
    page: int = 0  # PDF: the page the lines count in
    anchor: str = ""  # HTML: the anchor of the section the lines stand in
    column: int = 0  # where in its line the passage starts (from 1), when two passages share the line


def _escape(text: str, escapes: dict[str, str]) -> str:
    """``text`` with its separators escaped, and every character a terminal would act on or show otherwise
    (UNSAFE_CHARACTERS: a line break, ESC, a bidi control) percent-encoded as UTF-8, so that a label prints as it
    is and two names never print alike ("a\nb" is ``a%0Ab``, never the ``a b`` of another file)."""
    return "".join(
        escapes.get(char) or (_percent_encoded(char) if UNSAFE_CHARACTERS.match(char) else char) for char in text
    )


def _percent_encoded(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogateescape"))


def _unescape(text: str, escapes: dict[str, str]) -> str:
    """What ``_escape`` wrote, read back; a ``%`` it could not have written (``%41`` typed by hand) stays."""

    def character(match: re.Match) -> str:
        char = bytes.fromhex(match.group(0).replace("%", "")).decode("utf-8", "surrogateescape")
        escaped = len(char) == 1 and (char in escapes or UNSAFE_CHARACTERS.match(char))
        return char if escaped else match.group(0)

    return _ENCODED_CHARACTER.sub(character, text)


def label(ref: CitationRef) -> str:
    """``file:line`` (``file:first-last``; ``guide.pdf#page=N:...``, ``page.html#anchor:...``; ``:column``)."""
    head = _escape(ref.source, _ESCAPES)
    if ref.page:
        head += f"#page={ref.page}"
    elif ref.anchor:
        head += "#" + _escape(ref.anchor, _ANCHOR_ESCAPES)
    span = f"{ref.start_line}" if ref.start_line == ref.end_line else f"{ref.start_line}-{ref.end_line}"
    return f"{head}:{span}" + (f":{ref.column}" if ref.column else "")


def parse_label(spec: str) -> CitationRef:
    """The citation a label names (BadCitation, one line, when it names none)."""
    match = _LABEL.fullmatch(spec.rstrip())  # a label copied with its line break
    if not match:
        raise BadCitation(
            f"not a citation: {spec!r} (expected FILE:LINE, FILE:FIRST-LAST, FILE.pdf#page=N:LINE or FILE.html#ANCHOR:LINE)"
        )
    start = _cited_number(match.group("start"), "line")
    end = _cited_number(match.group("end"), "line") if match.group("end") else start
    if start < 1 or end < start:
        raise BadCitation(f"bad line range in {spec!r}: lines count from 1 and the last is not before the first")
    column = _cited_number(match.group("column"), "column") if match.group("column") else 0
    if match.group("column") is not None and column < 1:
        raise BadCitation(f"bad column in {spec!r}: columns count from 1")
    source, _, fragment = match.group("head").partition("#")
    if not source:
        raise BadCitation(f"not a citation: {spec!r} names no file")
    page, anchor = 0, ""
    if page_match := _PAGE.fullmatch(fragment):
        number = page_match.group("page")
        if not (number.isascii() and number.isdigit()) or _cited_number(number, "page") < 1:
            raise BadCitation(f"bad page in {spec!r}: expected #page=N with N from 1")
        page = int(number)
    elif fragment:
        anchor = _unescape(fragment, _ANCHOR_ESCAPES)
    return CitationRef(_unescape(source, _ANCHOR_ESCAPES), start, end, page, anchor, column)


_MAX_CITED_DIGITS = 18  # no file has a billion billion lines; int() of thousands of digits raises ValueError


def _cited_number(digits: str, what: str) -> int:
    if len(digits) > _MAX_CITED_DIGITS:
        raise BadCitation(f"the {what} number {digits[:12]}… is too large (at most {_MAX_CITED_DIGITS} digits)")
    return int(digits)


def reference(citation, column: int = 0) -> CitationRef:
    """The reference of a citation (an answer's, or its JSON object): its page or anchor, not its DOCX paragraph,
    whose lines count in the whole extracted text."""
    get = citation.get if isinstance(citation, dict) else lambda name, default=None: getattr(citation, name, default)
    return CitationRef(
        get("source", ""),
        int(get("start_line", 0)),
        int(get("end_line", 0)),
        int(get("page", 0) or 0),
        "" if get("page", 0) else str(get("anchor", "") or ""),
        column,
    )


def citation_ref(citation) -> str:
    """A citation's label, as qa show reads it."""
    return label(reference(citation))


def source_path(source: str, where) -> Path | None:
    """The file a citation names, if it is there: found by ``where``, the index that cited it (anything with
    ``path_of(source)``: the engine, its manifest), or a folder the name is relative to; never the working
    directory, where another file of the same name may be."""
    if where is None:
        return None
    path = where.path_of(source) if hasattr(where, "path_of") else Path(where) / source
    return path if path is not None and path.is_file() else None


def labels(citations, where, read=None) -> list[str]:
    """Each citation's label, with ``:column`` where passages of the same line would read the same.

    The column (from 1) is where the passage starts in its line, read from the file (found by ``where``, as in
    ``source_path``; ``read(path)`` gives a text file's text, by default decoded from the disk); a file that
    cannot be read, or no longer says what was indexed, leaves the label as it is.
    """
    plain = [citation_ref(c) for c in citations]
    shown = list(plain)
    files: dict[str, str | None] = {}
    for i, citation in enumerate(citations):
        if plain.count(plain[i]) < 2 or citation.start_line != citation.end_line or located(citation):
            continue
        if citation.source not in files:
            path = source_path(citation.source, where)
            try:
                files[citation.source] = (read(path) if read else decode(path.read_bytes())) if path else None
            except (OSError, ValueError):
                files[citation.source] = None
        text = files[citation.source]
        if text is None or text[citation.start_char : citation.end_char] != citation.text:
            continue
        starts = line_starts(text)
        if citation.start_line <= len(starts):
            shown[i] = label(reference(citation, column=citation.start_char - starts[citation.start_line - 1] + 1))
    return shown


def located(citation) -> bool:
    """A PDF, HTML or DOCX passage: its lines are those of the extracted text, not of the file."""
    return any(getattr(citation, name, None) for name in ("page", "anchor", "paragraph"))
