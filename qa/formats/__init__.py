"""Text out of PDF, HTML and DOCX files: the text passages cite, its structure, and locators.

Each format gives an ``Extracted``: the text that citations refer to (their
lines and ``text`` stand in it verbatim), the structure as ``qa.reader``
blocks (headings, paragraphs, list items, code, table rows), and where each
locator starts (a PDF page, the anchor of an HTML heading, a DOCX paragraph).
``qa show`` extracts a file again the same way, so a citation can be checked
against the file without the index. A file that cannot be read raises
``ExtractionError`` with the reason it is skipped.

One module a format family, each giving an ``Extracted`` (qa.formats.extracted): ``pdf`` (pypdfium2), ``html``
(selectolax) and ``docx`` (python-docx); their docstrings say why each library, and how its text is laid out.
"""

from __future__ import annotations

from pathlib import Path

from qa.formats.docx import extract_docx
from qa.formats.extracted import DOCX, HTML, PAGE_BREAK, PDF, Extracted, ExtractionError
from qa.formats.html import extract_html
from qa.formats.pdf import extract_pdf

__all__ = [
    "DOCX", "DOCX_SUFFIXES", "HTML", "HTML_SUFFIXES", "PAGE_BREAK", "PDF", "PDF_SUFFIXES", "RICH_SUFFIXES",
    "Extracted", "ExtractionError", "extract", "extract_docx", "extract_html", "extract_pdf", "format_of",
]  # fmt: skip

PDF_SUFFIXES = (".pdf",)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
DOCX_SUFFIXES = (".docx",)
RICH_SUFFIXES = PDF_SUFFIXES + HTML_SUFFIXES + DOCX_SUFFIXES


def format_of(path: Path | str) -> str | None:
    name = str(path).lower()
    if name.endswith(PDF_SUFFIXES):
        return PDF
    if name.endswith(HTML_SUFFIXES):
        return HTML
    if name.endswith(DOCX_SUFFIXES):
        return DOCX
    return None


def extract(data: bytes, fmt: str) -> Extracted:
    """The text, structure and locators of a PDF, HTML or DOCX file's bytes."""
    if fmt == PDF:
        return extract_pdf(data)
    if fmt == HTML:
        return extract_html(data)
    if fmt == DOCX:
        return extract_docx(data)
    raise ExtractionError(f"unknown format {fmt}")
