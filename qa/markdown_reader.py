"""Markdown's blocks, through markdown-it-py (it comes with Textual): its block tokens carry their exact
line ranges."""

from __future__ import annotations

import re

from qa.inline_markup import HTML_TAG, clean_inline
from qa.lang.sentences import trim_span
from qa.text_blocks import ADORNMENT, CODE, HEADING, ITEM, MARKDOWN, PARAGRAPH, ROW, Block, Line, split_lines


def read_markdown(text: str) -> list[Block]:
    from markdown_it import MarkdownIt

    lines = split_lines(text)
    parser = MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(text)
    out: list[Block] = []

    def span(first: int, last: int) -> tuple[int, int]:
        return trim_span(text, lines[first].start, lines[last].end)

    def add(kind: str, line_range, level: int = 0, clean: str | None = None) -> None:
        if not line_range:
            return
        first, last = line_range[0], max(line_range[0], line_range[1] - 1)
        last = min(last, len(lines) - 1)
        start, end = span(first, last)
        raw = text[start:end]
        if clean is None:
            if kind == CODE:
                clean = " ".join(raw.split())
            else:
                body = re.sub(r"^\s{0,3}(?:#{1,6}\s+|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+|>\s?)", "", raw, flags=re.M)
                body = re.sub(r"\s#+\s*$", "", body) if kind == HEADING else body
                body = re.sub(r"^[=-]{3,}\s*$", "", body, flags=re.M) if kind == HEADING else body
                clean = clean_inline(body, MARKDOWN)
        if start < end and clean and any(c.isalnum() for c in clean):
            out.append(Block(kind, start, end, clean, level))

    item_depth = 0
    item_first_paragraph = False
    row_cells: list[str] = []
    row_map = None
    for k, token in enumerate(tokens):
        if token.type == "heading_open":
            add(HEADING, token.map, level=int(token.tag[1]))
        elif token.type == "list_item_open":
            item_depth += 1
            item_first_paragraph = True
        elif token.type == "list_item_close":
            item_depth -= 1
        elif token.type == "paragraph_open" and not _inside(tokens, k, "heading_open"):
            kind = ITEM if item_depth and item_first_paragraph else PARAGRAPH
            item_first_paragraph = False
            if token.map and _is_setext_underline_only(lines, token.map):
                continue
            add(kind, token.map)
        elif token.type in ("fence", "code_block"):
            if token.type == "fence" and token.map:
                inner = (token.map[0] + 1, token.map[1] - 1)
                add(CODE, inner if inner[1] > inner[0] else token.map)
            else:
                add(CODE, token.map)
        elif token.type == "tr_open":
            row_map = token.map
            row_cells = []
        elif token.type == "inline" and row_map is not None:
            row_cells.append(clean_inline(token.content, MARKDOWN))
        elif token.type == "tr_close" and row_map is not None:
            add(ROW, row_map, clean=" | ".join(c for c in row_cells if c))
            row_map = None
        elif token.type == "html_block" and token.map:
            clean = clean_inline(HTML_TAG.sub(" ", token.content), MARKDOWN)
            if len(clean.split()) >= 4:
                add(PARAGRAPH, token.map, clean=clean)
    return out


def _inside(tokens, k: int, opener: str) -> bool:
    return k > 0 and tokens[k - 1].type == opener


def _is_setext_underline_only(lines: list[Line], line_range) -> bool:
    return all(ADORNMENT.match(lines[j].body) for j in range(line_range[0], min(line_range[1], len(lines))))
