"""Text out of DOCX files, with python-docx (the one well-kept reader): paragraphs with their style
(headings, list paragraphs, code, terms and their definitions, captions), tables row by row, in body
order. Its text is one block per paragraph, separated by blank lines; a citation's lines count from the
start of that text."""

from __future__ import annotations

import io
import re

from qa import tuning
from qa.formats.extracted import DOCX, Extracted, ExtractionError, Writer, inline, settle
from qa.text_blocks import CAPTION, CODE, HEADING, ITEM, PARAGRAPH, ROW, TERM, Block

# What a paragraph is, told by its style's name (lower case): Word's built-in styles, in English and
# French, and those pandoc writes when it turns a manual (HTML, DocBook, Markdown) into DOCX, which is how
# most DOCX manuals are made. The same kinds as the HTML reader's <pre>, <dt>/<dd> and <caption>.
_HEADING_STYLE = re.compile(r"(?:heading|titre|überschrift|título)\s*(\d)", re.IGNORECASE)
_TITLE_STYLES = ("title", "titre")
_CODE_STYLES = (
    "source code", "html preformatted", "préformaté html", "plain text", "texte brut", "code",
    "preformatted text", "texte préformaté",  # LibreOffice's
)  # fmt: skip
# Word's outline level of a paragraph that is no heading (w:outlineLvl counts headings from 0).
_BODY_OUTLINE_LEVEL = 9
_TERM_STYLES = ("definition term", "terme de définition")
_DEFINITION_STYLES = ("definition", "définition")
_CAPTION_STYLES = ("caption", "image caption", "table caption", "légende")
_LIST_STYLE_PREFIXES = ("list", "liste")


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
    term_at = None  # the block of the term whose definition is being read (see text_blocks.TERM)
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            number += 1
            paragraph = Paragraph(child, document)
            text = paragraph.text
            if not text.strip():
                continue
            style = ((paragraph.style.name if paragraph.style is not None else "") or "").lower()
            listed = child.find(qn("w:pPr") + "/" + qn("w:numPr")) is not None
            kind, level, body_text = _kind_of(style, listed, text, _outline_level(child, paragraph.style, qn))
            # A definition runs over its paragraphs, and the code and lists inside it (as an HTML <dd> holds
            # <pre> and <ul>); a heading, a body paragraph or the next term ends it.
            defining = term_at is not None and (style in _DEFINITION_STYLES or kind in (CODE, ITEM))
            if not defining:
                _close_term(out, term_at)
                term_at = None
            start = out.block(kind, body_text, level=level)
            if start is not None:
                out.locators.append((start, {"paragraph": number}))
            if defining:  # the term's block runs over its definition, as an HTML <dt> over its <dd>
                term = out.blocks[term_at]
                out.blocks[term_at] = Block(TERM, term.start, out.length, term.clean, term.level)
            elif kind == TERM and start is not None:
                term_at = len(out.blocks) - 1
        elif child.tag == qn("w:tbl"):
            _close_term(out, term_at)
            term_at = None
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
    _close_term(out, term_at)
    if not out.blocks:
        raise ExtractionError("empty: no text to index")
    return Extracted(out.text(), DOCX, settle(out.blocks), out.locators)


def _close_term(out: Writer, term_at: int | None) -> None:
    """The term of block ``term_at`` (None: no term is open) ends: one that no definition followed is a
    paragraph of its own (an HTML <dt> without its <dd>)."""
    if term_at is not None and term_at == len(out.blocks) - 1:  # nothing was written after it
        term = out.blocks[term_at]
        out.blocks[term_at] = Block(PARAGRAPH, term.start, term.end, term.clean, term.level)


def _outline_level(element, style, qn) -> int | None:
    """The heading level Word gives the paragraph (w:outlineLvl, 0 for the first level), set on the paragraph
    or on its style or the styles that style is based on: headings in any language's style names, and
    custom heading styles. None: no level, or body text."""
    found = element.find(qn("w:pPr") + "/" + qn("w:outlineLvl"))
    for _ in range(10):  # a chain of based-on styles; Word's are a few deep, a loop is possible in a broken file
        if found is not None or style is None:
            break
        found = style.element.find(qn("w:pPr") + "/" + qn("w:outlineLvl"))
        style = style.base_style
    value = found.get(qn("w:val")) if found is not None else None
    return int(value) if value and value.isdigit() and int(value) < _BODY_OUTLINE_LEVEL else None


def _kind_of(style: str, listed: bool, text: str, outline: int | None = None) -> tuple[str, int, str]:
    """The block a paragraph of this style (its name in lower case) makes: its kind, its level (headings)
    and its text. ``listed``: the paragraph is numbered or bulleted (Word's numbering, whatever the style);
    ``outline``: its outline level (a heading's, from 0)."""
    text = text.replace("\v", "\n")
    heading = _HEADING_STYLE.match(style)
    if heading or style in _TITLE_STYLES:
        return HEADING, int(heading.group(1)) + 1 if heading else 1, inline(text)
    if outline is not None:  # "Überschrift 2", "Kop 2", a custom style based on a heading: level 2
        return HEADING, outline + 2, inline(text)
    if style in _CODE_STYLES:  # its line breaks are the code's lines
        return CODE, 0, text.expandtabs(8).strip("\n")
    if style in _TERM_STYLES:
        return TERM, 0, inline(text)
    if style in _CAPTION_STYLES:
        return CAPTION, 0, inline(text)
    if listed or style.startswith(_LIST_STYLE_PREFIXES):
        return ITEM, 0, "- " + text.strip()
    return PARAGRAPH, 0, text
