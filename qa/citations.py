"""How a citation is named: ``file:line`` (``file:first-last``, ``guide.pdf#page=N:...``), with ``:column``
where two passages of one line would otherwise read the same; and where its file is.

Shared by the CLI and the chat; imports neither Rich nor Textual.
"""

from __future__ import annotations

from pathlib import Path

from qa.documents import decode, line_starts


def line_span(citation) -> str:
    if citation.start_line == citation.end_line:
        return f"{citation.source}:{citation.start_line}"
    return f"{citation.source}:{citation.start_line}-{citation.end_line}"


def citation_ref(citation) -> str:
    """``file:line`` (``file:first-last``; ``guide.pdf#page=N:...``, ``page.html#anchor:...``), as qa show reads it."""
    source = citation.source
    if getattr(citation, "page", 0):
        source += f"#page={citation.page}"
    elif getattr(citation, "anchor", ""):
        source += f"#{citation.anchor}"
    span = line_span(citation)
    return source + span[len(citation.source) :]


def source_path(source: str, roots: list[Path]) -> Path | None:
    """The file a citation names: absolute, or relative to the first root that has it."""
    path = Path(source)
    if path.is_absolute():
        return path if path.is_file() else None
    for root in roots:
        if (root / path).is_file():
            return root / path
    return None


def labels(citations, roots: list[Path]) -> list[str]:
    """Each citation's ``file:line``, with ``:column`` where passages of the same line would read the same.

    The column (from 1) is where the passage starts in its line, read from the file; a file that cannot be read,
    or no longer says what was indexed, leaves the label as it is.
    """
    plain = [citation_ref(c) for c in citations]
    shown = list(plain)
    files: dict[str, str | None] = {}
    for i, citation in enumerate(citations):
        if plain.count(plain[i]) < 2 or citation.start_line != citation.end_line or located(citation):
            continue
        if citation.source not in files:
            path = source_path(citation.source, roots)
            try:
                files[citation.source] = decode(path.read_bytes()) if path is not None else None
            except (OSError, ValueError):
                files[citation.source] = None
        text = files[citation.source]
        if text is None or text[citation.start_char : citation.end_char] != citation.text:
            continue
        starts = line_starts(text)
        if citation.start_line <= len(starts):
            shown[i] += f":{citation.start_char - starts[citation.start_line - 1] + 1}"
    return shown


def located(citation) -> bool:
    """A PDF, HTML or DOCX passage: its lines are those of the extracted text, not of the file."""
    return any(getattr(citation, name, None) for name in ("page", "anchor", "paragraph"))
