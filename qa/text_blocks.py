"""What the readers of every format share: the kinds of block, ``Block`` (a kind, its exact span, its clean
text), ``Document``, the lines of a text with their offsets, and two line patterns (rst adornments, the leader
of a table of contents' entry)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADING, PARAGRAPH, ITEM, CODE, ROW, CAPTION, LABEL, TOC, TERM = (
    "heading",
    "paragraph",
    "item",
    "code",
    "row",
    "caption",
    "label",
    "toc",
    "term",  # what the text after it describes ("list.append(x)"); the block runs over its description
)
PROSE = (PARAGRAPH, ITEM)

PLAIN, RST, MARKDOWN = "plain", "rst", "markdown"


@dataclass(frozen=True)
class Block:
    kind: str
    start: int  # character offsets into the file's text: text[start:end] is the block
    end: int
    clean: str  # what a reader sees: markup removed, whitespace normalised
    level: int = 0  # headings: 1 is the top level


@dataclass
class Document:
    text: str
    format: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Line:
    start: int  # offset of the first character
    end: int  # offset after the last character, line break excluded
    body: str  # the line without its break

    @property
    def blank(self) -> bool:
        return not self.body.strip()

    @property
    def indent(self) -> int:
        return len(self.body) - len(self.body.lstrip())

    @property
    def stripped(self) -> str:
        return self.body.strip()


def split_lines(text: str) -> list[Line]:
    out = []
    for match in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text):
        if match.start() == len(text) and out:
            break
        body = match.group(0).rstrip("\r\n")
        out.append(Line(match.start(), match.start() + len(body), body))
    return out


ADORNMENT = re.compile(r"""^([=\-`:'"~^_*+#<>.])\1{2,}\s*$""")
# An entry of a table of contents: its title, a leader (dots, or spaces), its page number.
# Each leader is tried from the start of its run only, and taken whole (possessive): searched over a line of
# thousands of spaces, the plain ``\s{3,}\s*`` retried every split of the run from every start (cubic: 2,000
# spaces took 30 s).
TOC_LEADER = re.compile(r"(?:(?<!\.)\.{3,}+\s*+|(?<!…)…++\s*+|(?<!\s)\s{3,}+)\d++\s*+$")
