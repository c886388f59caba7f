"""The line reader: the blocks of plain text and reStructuredText, from indentation, blank lines and markers.
docutils was tried on the Python tutorial: it gives a start line for paragraphs and literal blocks but none for
many nodes (titles inside sections, items inside directives), knows none of Sphinx's roles and directives (each
becomes an error node), and reads hard-wrapped plain text as nested block quotes; citations need exact spans,
which a line reader has by construction.

``LineReader`` makes the blocks; ``LineCues`` judges what the lines look like (a deliberate break, a plain
heading, a label, a listing)."""

from __future__ import annotations

import re

from qa import tuning
from qa.inline_markup import clean_inline
from qa.lang.sentences import trim_span
from qa.text_blocks import (
    ADORNMENT,
    CAPTION,
    CODE,
    HEADING,
    ITEM,
    LABEL,
    PARAGRAPH,
    PLAIN,
    ROW,
    RST,
    TERM,
    TOC,
    TOC_LEADER,
    Block,
    Line,
    split_lines,
)

_BULLET = re.compile(r"^(\s*)(?:[-*+•‣◦▪–]|\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,5})[.)]|#\.)\s+(?=\S)")
_NUMBERED_HEADING = re.compile(
    r"^(?:(?:chapitre|chapter|section|partie|part|annexe|appendix|appendice|livre|book)\s+)?"
    r"(?P<number>(?:\d{1,3}|[A-Z]|[IVXLC]{1,6})(?:\.\d{1,3})*)\.?\s+\S",
    re.IGNORECASE,
)
_TABLE_BORDER = re.compile(r"^\s*\+(?:[-=]+\+)+\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*[|+](?:[-=+]*[-=][-=+]*)[|+]\s*$")
_SIMPLE_TABLE_BORDER = re.compile(r"^\s*=+(?:\s+=+)+\s*$")
_PROMPT = re.compile(r"^\s*(?:[$%#]|>>>|\.\.\.|[\w.-]+@[\w.-]+:\S*[$#]|C:\\[^>]*>|PS [^>]*>)\s")
_SENTENCE_END = re.compile(r"[.!?…:;]['\"»”’)\]]*$")
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(?:(?P<name>[\w:-]+)::(?P<argument>.*)|(?P<other>.*))$")
CODE_DIRECTIVES = {
    "code-block",
    "sourcecode",
    "code",
    "doctest",
    "testcode",
    "testoutput",
    "productionlist",
    "parsed-literal",
}
_TOC_DIRECTIVES = {"toctree", "contents"}
_SKIPPED_DIRECTIVES = {
    "index", "tabularcolumns", "highlight", "module", "currentmodule",
    "literalinclude", "include", "raw", "image", "figure", "only", "ifconfig", "meta", "default-role", "role",
    "testsetup", "testcleanup", "rubric", "centered", "hlist", "glossary",
}  # fmt: skip
# Sphinx's object descriptions (".. method:: list.append(x)", ".. py:function::", ".. envvar:: HOME"):
# the signature names what the indented body says, as a dictionary's headword does.
_OBJECT_DIRECTIVES = {
    "function", "method", "class", "attribute", "data", "exception", "decorator", "decoratormethod",
    "classmethod", "staticmethod", "property", "type", "member", "macro", "var", "struct", "enum",
    "enumerator", "describe", "object", "option", "cmdoption", "envvar", "program", "setting", "confval",
}  # fmt: skip
# Directives that state a fact about their section in their argument: read as the sentence Sphinx
# shows for them ("Changed in version 3.8: ..."), or would with show_authors ("Section author: ...").
_STATING_DIRECTIVES = {
    "sectionauthor": "Section author:", "moduleauthor": "Module author:", "codeauthor": "Code author:",
    "versionadded": "New in version", "versionchanged": "Changed in version",
    "deprecated": "Deprecated since version",
}  # fmt: skip
_EMAIL = re.compile(r"\s*<[^<>@\s]+@[^<>\s]+>")
_CODE_CHARACTERS = re.compile(r"[{}()\[\]=<>|;$/\\~`#]|--|\b\w+\.\w+\(|^\s*[\w.-]+\s+-{1,2}\w")


class LineReader:
    """Blocks of plain text or reStructuredText, from indentation, blank lines and markers."""

    def __init__(self, text: str, fmt: str):
        self.text = text
        self.fmt = fmt
        self.lines = split_lines(text)
        self.cues = LineCues(self.lines, fmt)
        self.out: list[Block] = []
        self.heading_styles: list[tuple[str, bool]] = []  # rst adornments in order of appearance

    # A chunk is a run of non-blank lines; most structure shows at their edges.
    def blocks(self) -> list[Block]:
        lines = self.lines
        i = 0
        while i < len(lines):
            if lines[i].blank:
                i += 1
                continue
            i = self._read_at(i)
        return self.out

    def _chunk_end(self, i: int) -> int:
        j = i
        while j < len(self.lines) and not self.lines[j].blank:
            j += 1
        return j

    def _emit(self, kind: str, first: int, last: int, level: int = 0, clean: str | None = None) -> None:
        """A block over lines first..last (inclusive), trimmed to its visible text."""
        start, end = trim_span(self.text, self.lines[first].start, self.lines[last].end)
        if start >= end:
            return
        if clean is None:
            raw = self.text[start:end]
            clean = clean_inline(raw, self.fmt) if kind != CODE else " ".join(raw.split())
        if not clean or not any(c.isalnum() for c in clean):
            return
        self.out.append(Block(kind, start, end, clean, level))

    def _read_at(self, i: int) -> int:
        lines = self.lines
        line = lines[i]
        end = self._chunk_end(i)
        # Tables.
        if _TABLE_BORDER.match(line.body) or (
            line.stripped.startswith("|") and end - i >= 2 and _TABLE_SEPARATOR.match(lines[i + 1].body or "")
        ):
            return self._table(i, end)
        if _SIMPLE_TABLE_BORDER.match(line.body) and self.fmt == RST:
            return self._simple_table(i)
        # reStructuredText headings: an underline, perhaps an overline too.
        heading = self._rst_heading(i)
        if heading is not None:
            return heading
        if self.fmt == RST:
            directive = _DIRECTIVE.match(line.body)
            if directive:
                return self._directive(i, directive)
            if line.stripped.startswith(">>>"):
                return self._code_run(i, end)
        # Code after an introduction ending with "::" (rst) or indented deeper than prose.
        if self.cues.literal_expected(i):
            return self._literal(i)
        return self._chunk(i, end)

    def _literal(self, i: int) -> int:
        """An indented literal block: every line indented deeper than the introduction, blank lines included."""
        base = self.cues.block_indent(self.cues.previous_nonblank(i) or 0)
        last = self._indented_end(i, base, i)
        self._emit(CODE, i, last)
        return last + 1

    def _indented_end(self, start: int, base: int, last: int) -> int:
        """The last non-blank line from ``start`` on that is indented deeper than ``base`` (else ``last``)."""
        j = start
        while j < len(self.lines):
            line = self.lines[j]
            if not line.blank:
                if line.indent <= base:
                    break
                last = j
            j += 1
        return last

    def _code_run(self, i: int, end: int) -> int:
        self._emit(CODE, i, end - 1)
        return end

    def _rst_heading(self, i: int) -> int | None:
        lines = self.lines
        line = lines[i]
        if line.indent and self.fmt == RST:
            return None
        over = ADORNMENT.match(line.body)
        if over and i + 2 < len(lines):
            title, under = lines[i + 1], lines[i + 2]
            if not title.blank and ADORNMENT.match(under.body) and under.stripped[0] == line.stripped[0]:
                self._emit(HEADING, i + 1, i + 1, level=self._heading_level(line.stripped[0], True))
                return i + 3
        if i + 1 < len(lines) and not line.blank and not over:
            under = lines[i + 1]
            match = ADORNMENT.match(under.body)
            if (
                match
                and under.indent == line.indent
                and len(under.stripped) >= max(3, len(line.stripped) - 2)
                and (i + 2 >= len(lines) or lines[i + 2].blank or self.fmt == RST)
                and (i == 0 or lines[i - 1].blank)
            ):
                self._emit(HEADING, i, i, level=self._heading_level(under.stripped[0], False))
                return i + 2
        return None

    def _heading_level(self, char: str, overline: bool) -> int:
        style = (char, overline)
        if style not in self.heading_styles:
            self.heading_styles.append(style)
        return self.heading_styles.index(style) + 1

    def _directive(self, i: int, match: re.Match) -> int:
        """``.. name:: argument`` and its indented body."""
        base = len(match.group(1))
        name = (match.group("name") or "").lower()
        last = self._indented_end(i + 1, base, i)
        body_start = i + 1
        # Options (":numbered:", ":caption: x") come first in the body.
        while body_start <= last and self.lines[body_start].stripped.startswith(":"):
            body_start += 1
        if name in _TOC_DIRECTIVES:
            self._emit(TOC, i, last, clean=" ".join(self.text[self.lines[i].start : self.lines[last].end].split()))
        elif name in CODE_DIRECTIVES:
            while body_start <= last and self.lines[body_start].blank:
                body_start += 1
            if body_start <= last:
                self._emit(CODE, body_start, last)
        elif name.rsplit(":", 1)[-1] in _OBJECT_DIRECTIVES and (match.group("argument") or "").strip():
            signature = clean_inline(match.group("argument").strip(), self.fmt)
            self.out.append(Block(TERM, self.lines[i].start + base, self.lines[last].end, signature))
            self._read_body(body_start, last)
        elif name in _STATING_DIRECTIVES:
            argument = _EMAIL.sub("", match.group("argument") or "").strip()
            body = " ".join(self.lines[k].stripped for k in range(body_start, last + 1) if not self.lines[k].blank)
            said = f"{_STATING_DIRECTIVES[name]} {argument}" + (f": {body}" if body else "")
            self._emit(PARAGRAPH, i, last, clean=clean_inline(said.rstrip(".") + ".", self.fmt))
        elif match.group("other") is not None or name in _SKIPPED_DIRECTIVES:
            # Comments, targets (".. _label:"), substitutions: not text. Footnotes are.
            other = match.group("other") or ""
            if re.match(r"\[(?:#\w*|\*|\d+)\]\s+\S", other):
                self._emit(PARAGRAPH, i, last)
        else:
            # Admonitions and unknown directives hold prose: their word is a label,
            # their body is read like any other text.
            argument = (match.group("argument") or "").strip()
            if name == "table" and argument:  # a table's title
                self._emit(CAPTION, i, i, clean=clean_inline(argument, self.fmt))
            else:
                label = name.replace("-", " ").capitalize() + (f": {argument}" if argument else "")
                self.out.append(Block(LABEL, self.lines[i].start + base, self.lines[i].end, label))
            self._read_body(body_start, last)
        return last + 1

    def _read_body(self, first: int, last: int) -> None:
        """A directive's indented body, read like any other text."""
        sub = first
        while sub <= last:
            if self.lines[sub].blank:
                sub += 1
                continue
            sub = self._read_at(sub)

    # -- tables ----------------------------------------------------------------
    def _table(self, i: int, end: int) -> int:
        rows: list[tuple[int, int]] = []
        first = None
        for j in range(i, end):
            if _TABLE_SEPARATOR.match(self.lines[j].body) or _TABLE_BORDER.match(self.lines[j].body):
                if first is not None:
                    rows.append((first, j - 1))
                    first = None
            elif first is None:
                first = j
        if first is not None:
            rows.append((first, end - 1))
        columns = _column_boundaries(
            [
                self.lines[j].body
                for j in range(i, end)
                if not (_TABLE_SEPARATOR.match(self.lines[j].body) or _TABLE_BORDER.match(self.lines[j].body))
            ]
        )
        header: list[str] | None = None
        for number, (a, b) in enumerate(rows):
            cells = _cells([self.lines[j].body for j in range(a, b + 1)], columns, self.fmt)
            if not any(cells):
                continue
            if number == 0 and len(rows) > 1:
                header = cells
            clean = " | ".join(c for c in cells if c)
            self._emit(ROW, a, b, clean=clean)
        del header
        return end

    def _simple_table(self, i: int) -> int:
        lines = self.lines
        columns = [m.start() for m in re.finditer(r"=+", lines[i].body)]
        borders = 0
        j = i
        row_start = None
        while j < len(lines):
            line = lines[j]
            if _SIMPLE_TABLE_BORDER.match(line.body):
                if row_start is not None:
                    self._simple_row(row_start, j - 1, columns)
                    row_start = None
                borders += 1
                j += 1
                if borders == 3 or (j < len(lines) and lines[j].blank and borders >= 2):
                    break
                continue
            if line.blank:
                if row_start is not None:
                    self._simple_row(row_start, j - 1, columns)
                    row_start = None
            elif row_start is None or line.body[: columns[1] if len(columns) > 1 else 0].strip():
                if row_start is not None:
                    self._simple_row(row_start, j - 1, columns)
                row_start = j
            j += 1
        if row_start is not None:
            self._simple_row(row_start, j - 1, columns)
        return j

    def _simple_row(self, a: int, b: int, columns: list[int]) -> None:
        bounds = columns[1:] + [10**6]
        cells = []
        for left, right in zip(columns, bounds, strict=True):
            cells.append(clean_inline(" ".join(self.lines[k].body[left:right] for k in range(a, b + 1)), self.fmt))
        self._emit(ROW, a, b, clean=" | ".join(c for c in cells if c))

    # -- chunks of prose, lists, labels, plain headings and listings ----------
    def _chunk(self, i: int, end: int) -> int:
        lines = self.lines
        first = lines[i]
        if end - i == 1 and self.cues.plain_heading(i):
            self._emit(HEADING, i, i, level=_numbered_level(first.stripped))
            return end
        if end - i == 2 and self.cues.wrapped_numbered_heading(i):
            self._emit(HEADING, i, i + 1, level=_numbered_level(first.stripped))
            return end
        if end - i <= 3 and self.cues.caption(i, end):
            self._emit(CAPTION, i, end - 1)
            return end
        if end - i == 1 and self.cues.label(i):
            self._emit(LABEL, i, i)
            return end
        if self.cues.listing(i, end):
            self._emit(CODE, i, end - 1)
            return end
        # Split the chunk into items and paragraphs.
        j = i
        while j < end:
            j = self._paragraph_or_item(j, end)
        return end

    def _paragraph_or_item(self, i: int, end: int) -> int:
        lines = self.lines
        bullet = _BULLET.match(lines[i].body)
        kind = ITEM if bullet else PARAGRAPH
        content_indent = len(bullet.group(0)) if bullet else lines[i].indent
        j = i + 1
        while j < end:
            line = lines[j]
            if _BULLET.match(line.body) and (kind == ITEM or line.indent <= content_indent):
                break
            if kind == ITEM and line.indent < content_indent:
                break
            if kind == PARAGRAPH and self.fmt == PLAIN and self.cues.deliberate_break(j - 1, j):
                break
            j += 1
        if kind == PARAGRAPH and j == i + 1 and self.fmt == PLAIN and self.cues.plain_heading(i):
            # A line of its own that reads as a title, in text with a paragraph per line.
            self._emit(HEADING, i, i, level=_numbered_level(lines[i].stripped))
            return j
        self._emit(kind, i, j - 1)
        return j


class LineCues:
    """What the lines of plain text or reStructuredText say of their structure: where a paragraph breaks, what
    reads as a heading, a label, a caption, a listing, a literal block. Reads the lines; makes no block."""

    def __init__(self, lines: list[Line], fmt: str):
        self.lines = lines
        self.fmt = fmt
        self.wrap_width = _wrap_width(lines)

    def literal_expected(self, i: int) -> bool:
        previous = self.previous_nonblank(i)
        if previous is None:
            return False
        before = self.lines[previous]
        if _DIRECTIVE.match(before.body):
            return False  # a directive's body is read by _directive
        return (
            before.stripped.endswith("::")
            and self.lines[i].indent > self.block_indent(previous)
            and (self.fmt == RST or before.stripped == "::" or not before.stripped.endswith(":::"))
        )

    def block_indent(self, i: int) -> int:
        """Indentation of the paragraph that holds line i (its first line's)."""
        j = i
        while j > 0 and not self.lines[j - 1].blank:
            j -= 1
        return self.lines[j].indent

    def previous_nonblank(self, i: int) -> int | None:
        j = i - 1
        while j >= 0 and self.lines[j].blank:
            j -= 1
        return j if j >= 0 else None

    def deliberate_break(self, a: int, b: int) -> bool:
        """In plain text, a line break the text's own wrapping did not force starts a new paragraph.

        A hard-wrapping tool fills each line: the next line's first word would
        not have fitted. Where it would have, the writer broke the line (one
        paragraph per line, an address, a heading, a listing).
        """
        if self.wrap_width > tuning.WIDEST_WRAP:
            return True  # lines this long were not wrapped by a tool: every break is the writer's
        line, following = self.lines[a], self.lines[b]
        if TOC_LEADER.search(line.body):
            return True  # a table of contents' entry, its leader filled to the width
        first_word = following.stripped.split(" ", 1)[0]
        return len(line.body.rstrip()) + 1 + len(first_word) <= self.wrap_width - 1

    def wrapped_numbered_heading(self, i: int) -> bool:
        """ "4.5.3. « Pourquoi la commande su de GNU ne gère-t-elle pas le groupe" / "wheel »": a
        numbered title too long for one line, wrapped like the text, over its indented text."""
        line, rest = self.lines[i], self.lines[i + 1]
        following = self.next_nonblank(i + 2)
        return (
            self.fmt == PLAIN
            and _NUMBERED_HEADING.match(line.stripped) is not None
            and not _BULLET.match(line.body)
            and rest.indent == line.indent
            and not self.deliberate_break(i, i + 1)
            and not _SENTENCE_END.search(rest.stripped)
            and following is not None
            and self.lines[following].indent > line.indent
        )

    def plain_heading(self, i: int) -> bool:
        line = self.lines[i]
        text = line.stripped
        if len(text) > 100 or _SENTENCE_END.search(text) or text.startswith("|"):
            return False
        if not (text[0].isupper() or text[0].isdigit()):
            return False
        words = text.split()
        following = self.next_nonblank(i + 1)
        if following is None:
            return False
        numbered = _NUMBERED_HEADING.match(text) is not None and not re.match(r"^\d+[.,]?\d*\s*%", text)
        outdented = self.lines[following].indent > line.indent
        if _BULLET.match(line.body) and not (self.fmt == PLAIN and numbered and outdented and not line.indent):
            return False  # a list item; but "1. Introduction" over its indented text heads it
        if numbered and (outdented or len(words) >= 2):
            return True
        if self.fmt != PLAIN:
            return False
        # Unnumbered: a short line standing alone before the text it heads,
        # set off by indentation or, in text with a paragraph per line, by its
        # shortness (a sentence would end with punctuation).
        if outdented and len(words) >= 2:
            return True
        return (
            len(words) >= 3
            and self.lines[following].indent == line.indent
            and len(text) < self.wrap_width * 0.8
            and (len(self.lines[following].stripped) > len(text))
            and self.wrap_width > 120
        )

    def next_nonblank(self, i: int) -> int | None:
        while i < len(self.lines) and self.lines[i].blank:
            i += 1
        return i if i < len(self.lines) else None

    def label(self, i: int) -> bool:
        """ "Note", "Warning", "Astuce": a word or two that label the paragraph after them."""
        text = self.lines[i].stripped
        words = text.split()
        following = self.next_nonblank(i + 1)
        return (
            following is not None
            and 1 <= len(words) <= 2
            and text[0].isupper()
            and text.replace(" ", "").isalpha()
            and self.lines[following].indent >= self.lines[i].indent
        )

    def caption(self, i: int, end: int) -> bool:
        following = self.next_nonblank(end)
        if following is None:
            return False
        body = self.lines[following].body
        is_table = _TABLE_BORDER.match(body) or (body.strip().startswith("|") and body.strip().endswith("|"))
        text = " ".join(self.lines[j].stripped for j in range(i, end))
        return (
            bool(is_table)
            and not text.endswith((".", ":", "!", "?"))
            or bool(is_table and re.match(r"^\w+\s+\d", text))
        )

    def listing(self, i: int, end: int) -> bool:
        """Command lines and terminal output: a prompt, or lines the writer broke on purpose that read as code."""
        lines = [self.lines[j] for j in range(i, end)]
        if _PROMPT.match(lines[0].body):
            return True
        previous = self.previous_nonblank(i)
        introduced = previous is not None and self.lines[previous].stripped.endswith(":")
        if self.fmt != PLAIN:
            return False
        if _BULLET.match(lines[0].body) or all(TOC_LEADER.search(line.body) for line in lines):
            return False  # a list, a table of contents
        deliberate = all(self.deliberate_break(a, a + 1) for a in range(i, end - 1))
        if not deliberate or any(_looks_like_prose(line.stripped) for line in lines):
            return False
        code = sum(1 for line in lines if _CODE_CHARACTERS.search(line.stripped))
        return (len(lines) >= 2 and code >= max(1, len(lines) // 3)) or (introduced and len(lines) <= 12)


def _looks_like_prose(line: str) -> bool:
    words = line.split()
    alphabetic = sum(1 for w in words if w.strip(",.;:()«»\"'").isalpha())
    return len(words) >= 4 and alphabetic >= 0.7 * len(words) and not _PROMPT.match(line)


def _wrap_width(lines: list[Line]) -> int:
    """The width the text was wrapped at: the 90th percentile of its line lengths.

    Code and table lines run past it now and then; the percentile ignores them.
    """
    lengths = sorted(len(line.body.rstrip()) for line in lines if not line.blank)
    if not lengths:
        return 80
    return lengths[min(len(lengths) - 1, int(len(lengths) * 0.9))]


def _numbered_level(text: str) -> int:
    match = _NUMBERED_HEADING.match(text)
    if not match:
        return 9
    return match.group("number").count(".") + 1


def _column_boundaries(rows: list[str]) -> list[int]:
    """Positions of the column rules of a grid table: where every line has a '|' or '+'."""
    content = [r for r in rows if r.strip()]
    if not content:
        return []
    width = max(len(r) for r in content)
    return [p for p in range(width) if all(p < len(r) and r[p] in "|+" for r in content)]


def _cells(lines: list[str], columns: list[int], fmt: str) -> list[str]:
    if len(columns) < 2:
        return [clean_inline(" ".join(line.strip(" |") for line in lines), fmt)]
    cells = []
    for left, right in zip(columns, columns[1:], strict=False):
        # The cell's lines, one under the other: a narrow column wraps paths after a slash.
        cells.append(clean_inline("\n".join(line[left + 1 : right].strip() for line in lines), fmt))
    return cells
