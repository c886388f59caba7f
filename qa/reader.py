"""Reading a document's structure: headings, paragraphs, list items, code, table rows.

Real folders hold hard-wrapped plain text, reStructuredText and Markdown, with
tables of contents, code blocks and commands on their own lines. Cutting them
by character count (or at every line break) cuts sentences and commands in
two, so the structure is recovered first and passages are cut from it
(``qa.documents``). Every block keeps its exact character span in the file, so
a citation can always be checked against the file itself.

- Markdown goes through markdown-it-py (qa.markdown_reader).
- reStructuredText and plain text go through the line reader (qa.line_reader, which says why not docutils).
- Both share the kinds of block and ``Block`` (qa.text_blocks) and the removal of inline markup
  (qa.inline_markup). This module picks the reader (``sniff_format``, ``read``) and marks tables of contents.

Blocks:
    heading    a section title (``level`` 1 is the top)
    paragraph  prose, its hard wraps joined
    item       one item of a bulleted or numbered list
    code       a literal block, a command line, a terminal listing
    row        one row of a table (``clean`` holds its cells joined by " | ")
    caption    the title of a table
    label      an admonition's word ("Note", "Warning") standing alone
    toc        a table of contents: recognised, never cited
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa.inline_markup import clean_inline, question_prose, unwrapped
from qa.line_reader import CODE_DIRECTIVES, LineReader
from qa.markdown_reader import read_markdown
from qa.text_blocks import (
    ADORNMENT,
    CAPTION,
    CODE,
    HEADING,
    ITEM,
    LABEL,
    MARKDOWN,
    PARAGRAPH,
    PLAIN,
    PROSE,
    ROW,
    RST,
    TERM,
    TOC,
    TOC_LEADER,
    Block,
    Document,
)

# The names of the readers' shared vocabulary and of inline markup, importable from here as before they had
# modules of their own (text_blocks, inline_markup, line_reader, markdown_reader).
__all__ = [
    "ADORNMENT", "CAPTION", "CODE", "CODE_DIRECTIVES", "HEADING", "ITEM", "LABEL", "MARKDOWN", "PARAGRAPH", "PLAIN",
    "PROSE", "ROW", "RST", "TERM", "TOC", "Block", "Document", "clean_inline", "question_prose", "read",
    "sections", "sniff_format", "unwrapped",
]  # fmt: skip


# -- format ------------------------------------------------------------------

_RST_SIGNS = re.compile(r"^\.\. [\w:-]+::|^\.\. _[^:]+:|:[a-z]+(?::[a-z]+)?:`[^`]+`|``[^`]+``|::\s*$", re.MULTILINE)
_MARKDOWN_SIGNS = re.compile(r"^#{1,6} \S|^```|^~~~|\]\([^)\s]+\)|^\s*[-*] \[[ x]\] ", re.MULTILINE)


def sniff_format(text: str, suffix: str = "") -> str:
    """reStructuredText, Markdown or plain text: by the file's name, else by its markup.

    A ``.txt`` file is often reStructuredText (Sphinx ships its sources so) or
    Markdown; the signs of each are counted and the clearer one wins.
    """
    suffix = suffix.lower()
    if suffix in (".md", ".markdown", ".mdown", ".mkd"):
        return MARKDOWN
    if suffix in (".rst", ".rest"):
        return RST
    sample = text[:200_000]
    rst = len(_RST_SIGNS.findall(sample))
    underlines = sum(
        1
        for a, b in zip(sample.splitlines(), sample.splitlines()[1:], strict=False)
        if a.strip() and ADORNMENT.match(b) and len(b.strip()) >= len(a.strip()) and not a.startswith(" ")
    )
    rst += 2 * underlines
    markdown = len(_MARKDOWN_SIGNS.findall(sample))
    if rst >= 3 and rst > markdown:
        return RST
    if markdown >= 3 and markdown > rst:
        return MARKDOWN
    return PLAIN


def read(text: str, suffix: str = "", format: str | None = None) -> Document:
    """The document's blocks, in order, each with its exact span."""
    fmt = format or sniff_format(text, suffix)
    if fmt == MARKDOWN:
        blocks = read_markdown(text)
    else:
        blocks = LineReader(text, fmt).blocks()
    return Document(text, fmt, _mark_tables_of_contents(blocks))


# -- tables of contents ---------------------------------------------------------

# Numbers before a title ("1.2.", "IV."); a Roman numeral only as a word of its own ("Les", "Introduction" keep
# their first letter).
_TOC_NUMBERING = re.compile(r"^[\s\d.]*(?:[IVXLCivxlc]+\b\.?)?[\s\d.]*")
_SPACE, _DIGIT = re.compile(r"\s"), re.compile(r"\d")  # as the patterns read them (Unicode spaces and digits)
# Non-word characters at the end, matched from the start of their run only: a pattern tried from every
# character of a long run (``\W+$``, ``\s*\d*\s*$``) takes quadratic or cubic time, and a heading of 20,000
# dots took 18 s.
_TRAILING_NON_WORD = re.compile(r"(?<!\W)\W+$")


def _without_leader_and_page(text: str) -> str:
    """``text`` without what ends a table-of-contents entry: a leader (``...``, ``…``), spaces and a page number."""
    end = len(text)
    for kind in (_SPACE, _DIGIT, _SPACE):
        while end and kind.match(text[end - 1]):
            end -= 1
    dots = end
    while dots and text[dots - 1] == ".":
        dots -= 1
    if end - dots >= 3:
        return text[:dots]
    while end and text[end - 1] == "…":
        end -= 1
    return text[:end]


def _heading_key(text: str) -> str:
    text = re.sub(r"^\W+", "", text.strip())
    text = _without_leader_and_page(text[_TOC_NUMBERING.match(text).end() :])
    text = _TRAILING_NON_WORD.sub("", re.sub(r"^\W+", "", text))
    return " ".join(text.lower().split())


def _mark_tables_of_contents(blocks: list[Block]) -> list[Block]:
    """Runs of entries that repeat the document's headings (or carry page numbers) are a table of contents.

    A table of contents repeats every heading word for word, so it would win
    every tie against the section it names; it is kept out of the passages.
    """
    headings: dict[str, list[int]] = {}
    for n, block in enumerate(blocks):
        if block.kind == HEADING:
            headings.setdefault(_heading_key(block.clean), []).append(n)

    def entry(n: int) -> bool:
        block = blocks[n]
        if block.kind not in (ITEM, PARAGRAPH, HEADING, ROW, CODE) or len(block.clean) > 200:
            return False
        if TOC_LEADER.search(block.clean):
            return True
        key = _heading_key(block.clean)
        # An entry read as a heading itself repeats a heading that comes after it.
        return bool(key) and any(w > n if block.kind == HEADING else w != n for w in headings.get(key, ()))

    marked = list(blocks)
    n = 0
    while n < len(blocks):
        if not entry(n):
            n += 1
            continue
        m = n
        while m < len(blocks) and entry(m):
            m += 1
        if m - n >= 3:
            for k in range(n, m):
                b = blocks[k]
                marked[k] = Block(TOC, b.start, b.end, b.clean, b.level)
        n = m
    return marked


def sections(blocks: Iterable[Block]) -> list[str]:
    """For each block, the title of the section it stands in ('' before the first heading)."""
    out = []
    current = ""
    for block in blocks:
        if block.kind == HEADING:
            current = block.clean
        out.append(current)
    return out
