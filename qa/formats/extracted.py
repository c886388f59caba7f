"""What each format gives: ``Extracted`` (the text citations refer to, its blocks, its locators), the
``ExtractionError`` a file is skipped with, and the ``Writer`` and helpers the HTML, DOCX and PDF readers build
their text with."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from qa.inline_markup import clean_inline
from qa.text_blocks import CAPTION, CODE, LABEL, PARAGRAPH, PLAIN, ROW, Block

PDF, HTML, DOCX = "pdf", "html", "docx"
PAGE_BREAK = "\n\f\n"


class ExtractionError(ValueError):
    """The file cannot be read as its type says: the reason it is skipped."""


@dataclass
class Extracted:
    text: str  # what citations refer to
    format: str  # pdf, html, docx; for a text file the reader's format (plain, rst, markdown)
    blocks: list[Block] | None  # the structure, spans into text (None: qa.reader reads the text)
    # (start offset, locator) in order: {"page": n}, {"anchor": id}, {"paragraph": n}
    locators: list[tuple[int, dict]] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)  # PDF: each page's span in text

    def locator_at(self, offset: int) -> dict:
        starts = [s for s, _ in self.locators]
        k = bisect.bisect_right(starts, offset) - 1
        return dict(self.locators[k][1]) if k >= 0 else {}

    def page_text(self, page: int) -> str:
        start, end = self.pages[page - 1]
        return self.text[start:end]


class Writer:
    """Text with blocks: each block on its own lines, a blank line between blocks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.blocks: list[Block] = []
        self.locators: list[tuple[int, dict]] = []

    def write(self, raw: str) -> None:
        self.parts.append(raw)
        self.length += len(raw)

    def block(self, kind: str, body: str, level: int = 0, clean: str | None = None) -> int | None:
        """Add a block (its lines as given); the offset where it starts, or None when it has no words."""
        body = "\n".join(line.rstrip() for line in body.split("\n")).strip("\n")
        if not body.strip() or not any(c.isalnum() for c in body):
            return None
        if self.length:
            self.write("\n\n")
        start = self.length
        self.write(body)
        if clean is None:
            clean = " ".join(body.split()) if kind == CODE else clean_inline(body, PLAIN)
        lead = len(body) - len(body.lstrip())
        self.blocks.append(Block(kind, start + lead, self.length, clean, level))
        return start

    def text(self) -> str:
        return "".join(self.parts)


def inline(text: str) -> str:
    return " ".join(text.split())


CAPTION_START = re.compile(r"^[^\W\d_]+\s+\d+(?:[.-]\d+)*\b")


def settle(blocks: list[Block]) -> list[Block]:
    """Read like the text reader reads plain text: a word or two standing alone before a paragraph
    ("Note", "Avertissement") label it, and "Table 1.2 ..." next to a table's rows is its caption."""
    out = []
    for k, block in enumerate(blocks):
        following = blocks[k + 1].kind if k + 1 < len(blocks) else None
        if block.kind == PARAGRAPH:
            words = block.clean.split()
            if following and 1 <= len(words) <= 2 and block.clean[0].isupper() and "".join(words).isalpha():
                block = Block(LABEL, block.start, block.end, block.clean, block.level)
            elif (
                ROW in (following, out[-1].kind if out else None)
                and len(block.clean) <= 150
                and CAPTION_START.match(block.clean)
            ):
                block = Block(CAPTION, block.start, block.end, block.clean, block.level)
        out.append(block)
    return out
