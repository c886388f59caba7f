"""Text out of DOCX files, with python-docx (the one well-kept reader): paragraphs with their style
(headings, list paragraphs), tables row by row, in body order. Its text is one block per
paragraph, separated by blank lines; a citation's lines count from the start of that text."""

from __future__ import annotations

import io
import re

from qa import tuning
from qa.formats.extracted import DOCX, Extracted, ExtractionError, Writer, inline, settle
from qa.text_blocks import HEADING, ITEM, PARAGRAPH, ROW


def _check_unzipped(data: bytes) -> None:
    """Refuse, before python-docx unzips and parses it, a DOCX whose parts unzip to more than
    tuning.DOCX_UNZIPPED_MB (the sizes the archive declares, which zipfile holds each part to)
    or whose XML holds more than tuning.DOCX_XML_ELEMENTS elements: each costs memory and time
    once parsed, and millions of empty paragraphs zip down to a few kilobytes."""
    import zipfile

    limit = tuning.DOCX_UNZIPPED_MB * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = archive.infolist()
        if sum(part.file_size for part in parts) > limit:
            raise ExtractionError(f"unzips to more than {tuning.DOCX_UNZIPPED_MB:g} MB (a zip bomb)")
        elements = 0
        # Every part is counted, whatever its name: the main part may be named anything its relationships
        # say ("word/document.dat"). Media count too, harmlessly: random bytes hold a "<" in 256, and the
        # parts together unzip to at most DOCX_UNZIPPED_MB, far below DOCX_XML_ELEMENTS of them.
        for part in parts:
            with archive.open(part) as stream:
                while chunk := stream.read(1 << 20):
                    # Start tags, empty ones included; a "</" cut between two chunks is off by one.
                    elements += chunk.count(b"<") - chunk.count(b"</") - chunk.count(b"<?") - chunk.count(b"<!")
                    if elements > tuning.DOCX_XML_ELEMENTS:
                        raise ExtractionError(
                            f"holds more than {tuning.DOCX_XML_ELEMENTS:,} XML elements (the limit per file)"
                        )


def extract_docx(data: bytes) -> Extracted:
    import zipfile

    try:
        import docx
        from docx.oxml.ns import qn
    except ImportError:  # pragma: no cover - a dependency
        raise ExtractionError("python-docx is not installed") from None
    try:
        _check_unzipped(data)
        document = docx.Document(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ExtractionError("not a valid DOCX file (not a zip archive)") from None
    except ExtractionError:
        raise
    except Exception as exc:
        raise ExtractionError(f"not a valid DOCX file ({exc.__class__.__name__})") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out = Writer()
    number = 0
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            number += 1
            paragraph = Paragraph(child, document)
            text = paragraph.text
            if not text.strip():
                continue
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            kind, level, body_text = PARAGRAPH, 0, text
            heading = re.match(r"(?:heading|titre|überschrift|título)\s*(\d)", style, re.IGNORECASE)
            if heading or style.lower() in ("title", "titre"):
                kind, level = HEADING, int(heading.group(1)) + 1 if heading else 1
                body_text = inline(text)
            elif (
                style.lower().startswith(("list", "liste")) or child.find(qn("w:pPr") + "/" + qn("w:numPr")) is not None
            ):
                kind, body_text = ITEM, "- " + text.strip()
            start = out.block(kind, body_text.replace("\v", "\n"), level=level)
            if start is not None:
                out.locators.append((start, {"paragraph": number}))
        elif child.tag == qn("w:tbl"):
            table = Table(child, document)
            for row in table.rows:
                first_number = number + 1
                cells: list[str] = []
                for cell in row.cells:
                    number += len(cell.paragraphs)
                    text = inline(cell.text)
                    if text and (not cells or cells[-1] != text):  # a merged cell repeats
                        cells.append(text)
                if cells:
                    start = out.block(ROW if len(cells) > 1 else PARAGRAPH, " | ".join(cells))
                    if start is not None:
                        out.locators.append((start, {"paragraph": first_number}))
    if not out.blocks:
        raise ExtractionError("empty: no text to index")
    return Extracted(out.text(), DOCX, settle(out.blocks), out.locators)
