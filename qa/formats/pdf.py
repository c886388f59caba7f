"""Text out of PDF files, with pypdfium2.

Libraries, compared on the Debian Reference (chapters 1-4, French) on this machine (2 shared cores): PDF (96
pages, 698 KB): pypdfium2 0.20 s, pypdf 2.2 s, pdfminer.six 4.8 s.
pypdfium2 (PDFium, Chrome's PDF engine) keeps every word and space, keeps
table rows on one line each, and marks a hyphen at a line end (U+FFFE,
joining the two lines), so hyphenation is undone with certainty; it also
gives each character's box, font size, weight and pitch, from which
headings, code and paragraph breaks are read. pypdf glued words together
("gestionnairedefichierspleinécran") on whole pages; pdfminer.six read
tables column by column (all the names, then all the numbers) and is 24
times slower. Neither marks hyphenation ("uti-" / "lisateurs"). None of
the three produced ligature characters on this file; PDFium's ligatures
are expanded anyway by NFKC on the few presentation forms (U+FB00-FB06).

Extracted text: one page after another, separated by a line holding a form feed.
Lines repeated at the top or bottom of many pages (running headers,
footers, page numbers; digits ignored when comparing) are dropped, words
hyphenated at a line end are joined (the hyphen is kept when the document
writes the hyphenated word elsewhere, as in "ci-dessus"). A citation's
lines count from the first line of its page. The structure comes from the
fonts and places of the lines: a larger (or larger and bold) font is a
heading, a monospaced one code, a line whose runs stand apart by wide gaps
a table row; a paragraph ends at a vertical gap or where the next line's
first word would have fitted before the edge the page's full lines reach (a
column's, a narrower list's, a verso page's). Whole extraction of the 96 pages with this
structure: about 1.2 s (2.0 s while an index build shares the cores).
"""

from __future__ import annotations

import ctypes
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from qa import tuning
from qa.formats.extracted import CAPTION_START, PAGE_BREAK, PDF, Extracted, ExtractionError, settle
from qa.inline_markup import clean_inline
from qa.text_blocks import CODE, HEADING, ITEM, PARAGRAPH, PLAIN, ROW, Block


@dataclass
class _PdfLine:
    text: str
    left: float
    right: float
    top_y: float  # baseline of the first character
    bottom_y: float  # baseline of the last (a line joined at a hyphen ends one line lower)
    size: float
    bold: bool
    fixed: bool  # monospaced font at both ends: code
    cells: list[tuple[float, str]] = field(default_factory=list)  # (left, text) of each run set apart by a wide gap


_FIXED_PITCH = 1  # PDF font flags
_FORCE_BOLD = 1 << 18
_BULLET = re.compile(r"^\s*(?:[-–—•‣◦▪*]|\(?(?:\d{1,3}|[a-z])[.)])\s+\S")
_LIGATURES = re.compile("[\ufb00-\ufb06]")


def extract_pdf(data: bytes) -> Extracted:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise ExtractionError("encrypted PDF (needs a password)") from None
        raise ExtractionError(f"not a readable PDF ({message})") from None
    try:
        pages = [_pdf_page_lines(document, i) for i in range(len(document))]
    except pdfium.PdfiumError as exc:
        raise ExtractionError(f"not a readable PDF ({exc})") from None
    finally:
        document.close()
    if not pages:
        raise ExtractionError("PDF without pages")
    if not any(line.text.strip() for page in pages for line in page):
        raise ExtractionError("no text layer (a scanned or image-only PDF)")
    pages = _drop_running_lines(pages)
    pages = [[] if _is_index_page(page) else [line for line in page if not _LEADER.search(line.text)] for page in pages]
    _join_hyphenated(pages)
    return _pdf_document(pages)


def _pdf_page_lines(document, index: int) -> list[_PdfLine]:
    import pypdfium2.raw as raw

    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            count = textpage.count_chars()
            if count <= 0:
                return []
            text = textpage.get_text_range(0, count)
            lines: list[_PdfLine] = []
            found = [m for m in re.finditer(r"[^\r\n]+", text) if m.group().strip()]
            bodies = _with_footnotes_inline(textpage, text, found)
            for match in found:
                body = match.group()
                first = match.start() + len(body) - len(body.lstrip())
                last = match.start() + len(body.rstrip()) - 1
                if match.start() not in bodies:
                    continue  # a footnote, now beside the words that call it
                body = bodies[match.start()]
                left, bottom, _, _ = textpage.get_charbox(first)
                _, last_bottom, right, _ = textpage.get_charbox(last)
                size = raw.FPDFText_GetFontSize(textpage.raw, first)
                # Bold at both ends: a bold word inside a line of prose is emphasis, not a bold line.
                cells, starts = _cells(textpage, body, match.start(), size)
                # Code is monospaced throughout; a table row may set only some cells so ("openssl | V:841 | …").
                ends = (first, last) if len(cells) < 2 else (*starts, last)
                faces = {i: _font_info(textpage, i) for i in {first, *ends}}  # read once for both questions
                bold = all(_bold(textpage, i, *faces[i]) for i in (first, last))
                fixed = all(_fixed_pitch(*faces[i]) for i in ends)
                clean = _ligatures(body.rstrip()).replace("\x02", "\ufffe")  # older PDFium marks a line-end hyphen so
                line = _PdfLine(clean, left, right, bottom, last_bottom, round(size, 1), bold, fixed, cells)
                lines.append(line)
            return lines
        finally:
            textpage.close()
    finally:
        page.close()


_NOTE_MARK = re.compile(r"[0-9*\u2020\u2021\u00a7]{1,3}")  # 1-3 digits, *, dagger, double dagger, section sign


def _superscripts(textpage, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Runs of note marks set small and raised in ``text[start:end]`` ("WYSIWYG²"): (start, end) in ``text``.
    Small: at most SUPERSCRIPT_SIZE of the size of the letter beside them; raised: their baseline at least
    SUPERSCRIPT_RISE of that size above its own."""
    import pypdfium2.raw as raw

    out = []
    for m in _NOTE_MARK.finditer(text, start, end):
        a, b = m.start(), m.end()
        beside = next((k for k in (a - 1, b) if start <= k < end and text[k].isalpha()), None)
        if beside is None and a == start:
            beside = next((k for k in range(b, min(end, b + 3)) if not text[k].isspace()), None)
        if beside is None:
            continue
        size, size_beside = raw.FPDFText_GetFontSize(textpage.raw, a), raw.FPDFText_GetFontSize(textpage.raw, beside)
        if not (0 < size <= tuning.SUPERSCRIPT_SIZE * size_beside):
            continue
        if textpage.get_charbox(a)[1] - textpage.get_charbox(beside)[1] >= tuning.SUPERSCRIPT_RISE * size_beside:
            out.append((a, b))
    return out


def _with_footnotes_inline(textpage, text: str, lines: list) -> dict[int, str]:
    """Each line's text by where it starts in ``text``, a page's footnotes moved beside the words
    that call them: "the WYSIWYG (2: What you see is what you get) approach". In a typeset PDF a
    footnote stands at the foot of the page, away from its call, and its mark glued to a word
    ("package9") hides the word and splits the sentence; read in place, the note says what it
    explains. A footnote is a line in a smaller type opening with a raised mark, with the lines after
    it in that type; a call is the same mark raised beside a word higher on the page. A mark with no
    footnote (an exponent) and a footnote with no call (its call on another page) are left as they are."""
    import pypdfium2.raw as raw

    bodies = {m.start(): m.group() for m in lines}
    if not lines or not any(ch.isdigit() or ch in "*\u2020\u2021\u00a7" for ch in text):
        return bodies
    sizes = Counter(round(raw.FPDFText_GetFontSize(textpage.raw, m.start() + len(m.group()) // 2), 1) for m in lines)
    page_size = sizes.most_common(1)[0][0]
    marks = {m.start(): _superscripts(textpage, text, m.start(), m.end()) for m in lines}
    notes: dict[str, list[int]] = {}  # mark -> indices of its lines
    current = None
    for k, m in enumerate(lines):
        first = m.start() + len(m.group()) - len(m.group().lstrip())
        opening = [r for r in marks[m.start()] if r[0] == first]
        tail = first if not opening else opening[0][1]
        size = round(raw.FPDFText_GetFontSize(textpage.raw, min(tail, m.end() - 1)), 1)
        if opening and size < page_size and opening[0][1] < m.end():
            label = text[opening[0][0] : opening[0][1]]
            notes[label] = [k]
            current = (label, size)
        elif current is not None and abs(size - current[1]) <= 0.3:
            notes[current[0]].append(k)
        else:
            current = None
    if not notes:
        return bodies
    in_notes = {k for ks in notes.values() for k in ks}
    calls: dict[str, tuple[int, tuple[int, int]]] = {}
    for k, m in enumerate(lines):
        if k not in in_notes:
            for a, b in marks[m.start()]:
                calls[text[a:b]] = (k, (a, b))
    for label, ks in notes.items():
        if label not in calls or calls[label][0] > ks[0]:
            continue  # no call above it on this page
        k, (a, b) = calls[label]
        note = " ".join(lines[j].group().strip() for j in ks)[len(label) :].strip().rstrip(".")
        line = lines[k]
        body = bodies[line.start()]
        bodies[line.start()] = f"{body[: a - line.start()]} ({label}: {note}){body[b - line.start() :]}"
        for j in ks:
            bodies.pop(lines[j].start(), None)
    return bodies


def _ligatures(text: str) -> str:
    return _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def _cells(textpage, body: str, offset: int, size: float) -> tuple[list[tuple[float, str]], list[int]]:
    """The runs of a line set apart by gaps wider than 1.2 em: a table's cells (one run for prose),
    and the page's index of each run's first character."""
    import pypdfium2.raw as raw

    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    boxes = (ctypes.byref(left), ctypes.byref(right), ctypes.byref(bottom), ctypes.byref(top))
    cells: list[tuple[float, str]] = []
    starts: list[int] = []
    gaps: list[float] = []
    start = last = -1
    start_x = previous_right = 0.0
    for k, ch in enumerate(body):
        if ch.isspace():
            continue
        raw.FPDFText_GetCharBox(textpage.raw, offset + k, *boxes)
        if start < 0:
            start, start_x = k, left.value
        elif left.value - previous_right > 1.2 * size:
            cells.append((start_x, body[start : last + 1]))
            starts.append(offset + start)
            gaps.append(left.value - previous_right)
            start, start_x = k, left.value
        previous_right, last = right.value, k
    if start >= 0:
        cells.append((start_x, body[start : last + 1]))
        starts.append(offset + start)
    if _stretched_prose(gaps, size):
        cells, starts = [(cells[0][0], body[starts[0] - offset : last + 1])], starts[:1]
    return [(x, _ligatures(text).replace("\ufffe", "").replace("\x02", "")) for x, text in cells], starts


def _stretched_prose(gaps: list[float], size: float) -> bool:
    """A justified line of prose stretched wide (before a word too long to break, such as a path),
    not a table row: its wide spaces are all alike and barely past the cell gap (1.2 to 1.5 em in
    the Debian PDF), where a row's columns stand 2 to 17 em apart, as wide as what they hold."""
    return len(gaps) >= 3 and max(gaps) < 2.0 * size and max(gaps) <= 1.25 * min(gaps)


_MONOSPACED = re.compile(rb"mono|courier|consol|code|typewriter|fixed|menlo|inconsolata|\bcm?tt", re.IGNORECASE)


# A bold face by its name, as fonts are named: "CMUSerif-Bold", "Arial-BoldMT", "LiberationSans-Semibold", CMBX12,
# "Futura-Demi"; not "NotoSansCJKjp-DemiLight", lighter than regular.
_BOLD_NAME = re.compile(rb"bold|black|heavy|demi(?!light)|\bcmbx", re.IGNORECASE)


def _font_info(textpage, index: int) -> tuple[bytes, int]:
    """The name and the flags of the character's font."""
    import pypdfium2.raw as raw

    flags = ctypes.c_int()
    name = ctypes.create_string_buffer(128)
    raw.FPDFText_GetFontInfo(textpage.raw, index, name, len(name), ctypes.byref(flags))
    return name.value, flags.value


def _fixed_pitch(name: bytes, flags: int) -> bool:
    """A font (its name and flags: _font_info) is monospaced: by its flags, or by its name (the standard Courier
    has no flag)."""
    return bool(flags & _FIXED_PITCH) or bool(_MONOSPACED.search(name))


def _bold(textpage, index: int, name: bytes, flags: int) -> bool:
    """The character, in the font of this name and these flags (_font_info), is set in a bold face: by its weight,
    its flags or its name. The weight alone misses faces whose fonts declare none or a semibold one (CMUSerif-Bold,
    which LaTeX sets headings in, declares 570)."""
    import pypdfium2.raw as raw

    return (
        raw.FPDFText_GetFontWeight(textpage.raw, index) >= 600
        or bool(flags & _FORCE_BOLD)
        or bool(_BOLD_NAME.search(name))
    )


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split())).lower()


def _drop_running_lines(pages: list[list[_PdfLine]]) -> list[list[_PdfLine]]:
    """Without the lines that repeat at the top or bottom of many pages (running headers, footers, page numbers)."""
    if len(pages) < 3:
        return pages
    edge = 2
    counts: Counter[str] = Counter()
    for page in pages:
        shapes = {_shape(line.text) for line in page[:edge] + page[-edge:]}
        counts.update(shapes)
    needed = max(3, int(0.4 * len(pages)))
    running = {shape for shape, n in counts.items() if n >= needed}
    if not running:
        return pages
    out = []
    for page in pages:
        lines = list(page)
        for _ in range(edge):
            if lines and _shape(lines[0].text) in running:
                lines.pop(0)
            if lines and _shape(lines[-1].text) in running:
                lines.pop()
        out.append(lines)
    return out


# A line of a table of contents (or of figures, of tables): a title, dot leaders, a page number
# ("1.4 The Predefined Page Styles . . . . . . 9"). It points to what it names and says nothing of it,
# yet shares all its words with a question about it; the section it points to is read where it stands.
_LEADER = re.compile(r"(?:[ \t]*\.){4,}[ \t]*(?:\d+|[ivxlcdm]+)[ \t]*$", re.IGNORECASE)

# A line of a book's index: page numbers after a comma ("\\parskip, 112", ", 14, 38-40").
_INDEX_ENTRY = re.compile(r"(?:^|,)[ \t]*\d+(?:[ \t]*[-–][ \t]*\d+)?(?:,[ \t]*\d+(?:[ \t]*[-–][ \t]*\d+)?)*[ \t]*$")
# A page is a book's index when this share of its lines (of this many at least) end in page numbers:
# the rest are its terms, each on the line before its numbers. Like a table of contents, an index
# points to what it names and shares every word with a question about it.
_INDEX_PAGE_SHARE = 0.4
_INDEX_PAGE_LINES = 20


def _is_index_page(page: list[_PdfLine]) -> bool:
    entries = sum(1 for line in page if _INDEX_ENTRY.search(line.text))
    return len(page) >= _INDEX_PAGE_LINES and entries >= _INDEX_PAGE_SHARE * len(page)


_HYPHENATED = re.compile(r"(\w+)\ufffe(\w*)")


def _join_hyphenated(pages: list[list[_PdfLine]]) -> None:
    """Join words hyphenated at a line end: PDFium joins the lines and marks the hyphen (U+FFFE).

    A line that still ends with a letter and a hyphen, followed by a line starting with a
    lower-case letter, is joined here the same way. The hyphen is kept when the document
    spells the word with a hyphen elsewhere ("ci-dessus") and never without it.
    """
    for page in pages:
        i = 0
        while i < len(page) - 1:
            line, after = page[i], page[i + 1]
            if (
                re.search(r"[^\W\d_]-$", line.text)
                and re.match(r"[^\W\d_]", after.text.lstrip())
                and after.text.lstrip()[0].islower()
                and not line.fixed
            ):
                line.text = line.text[:-1] + "\ufffe" + after.text.lstrip()
                line.right, line.bottom_y = after.right, after.bottom_y
                del page[i + 1]
                continue
            i += 1
    words: Counter[str] = Counter()
    for page in pages:
        for line in page:
            if "\ufffe" not in line.text:
                words.update(w.lower() for w in re.findall(r"\w+(?:-\w+)*", line.text))
            else:
                words.update(w.lower() for w in re.findall(r"\w+(?:-\w+)*", _HYPHENATED.sub(" ", line.text)))

    def join(match: re.Match) -> str:
        left, right = match.group(1), match.group(2)
        hyphenated = f"{left}-{right}".lower()
        if right and (right[0].isupper() or right[0].isdigit()):
            return f"{left}-{right}"
        if words[hyphenated] and not words[(left + right).lower()]:
            return f"{left}-{right}"
        return left + right

    for page in pages:
        for line in page:
            if "\ufffe" in line.text:
                line.text = _HYPHENATED.sub(join, line.text).replace("\ufffe", "-")


def _pdf_document(pages: list[list[_PdfLine]]) -> Extracted:
    body_lines = [line for page in pages for line in page if not line.fixed and line.text.strip()]
    # The body's size is the one that carries the most prose: counted by lines, a manual that prints
    # its source in a small type (7 pt lines outnumbering its 10 pt prose 3 to 2) would take that
    # type for the body and every line of prose for a heading.
    sizes = Counter()
    for line in body_lines:
        if _is_prose(line.text):
            sizes[line.size] += len(line.text)
    sizes = sizes or Counter(line.size for line in body_lines) or Counter(line.size for page in pages for line in page)
    body_size = sizes.most_common(1)[0][0] if sizes else 10.0
    heading_sizes = sorted(
        {line.size for page in pages for line in page if _is_heading_size(line, body_size)}, reverse=True
    )
    pitches = [
        a.bottom_y - b.top_y
        for page in pages
        for a, b in zip(page, page[1:], strict=False)
        if a.size == b.size == body_size and 0 < a.bottom_y - b.top_y < 3 * body_size
    ]
    pitch = statistics.median(pitches) if pitches else 1.2 * body_size
    rights = sorted(line.right for line in body_lines if line.size == body_size)
    margin = rights[int(0.9 * (len(rights) - 1))] if rights else 0.0

    parts: list[str] = []
    length = 0
    blocks: list[Block] = []
    spans: list[tuple[int, int]] = []
    locators: list[tuple[int, dict]] = []
    for number, page in enumerate(pages, start=1):
        if number > 1:
            parts.append(PAGE_BREAK)
            length += len(PAGE_BREAK)
        page_start = length
        locators.append((page_start, {"page": number}))
        offsets = []
        for k, line in enumerate(page):
            if k:
                parts.append("\n")
                length += 1
            offsets.append(length)
            parts.append(line.text)
            length += len(line.text)
        spans.append((page_start, length))
        margins = _right_margins(page, body_size, margin)
        for kind, level, first, last in _pdf_blocks(page, body_size, heading_sizes, pitch, margins):
            start = offsets[first]
            end = offsets[last] + len(page[last].text)
            raw_text = "\n".join(line.text for line in page[first : last + 1])
            lead = len(raw_text) - len(raw_text.lstrip())
            trail = len(raw_text) - len(raw_text.rstrip())
            start, end = start + lead, end - trail
            if start >= end:
                continue
            inner = raw_text.strip()
            clean = " ".join(inner.split()) if kind == CODE else clean_inline(inner, PLAIN)
            if kind == ROW:
                clean = _row_text(page[first : last + 1])
            if any(c.isalnum() for c in clean):
                blocks.append(Block(kind, start, end, clean, level))
    return Extracted("".join(parts), PDF, settle(blocks), locators, spans)


# A line of prose: words (six at least, of two letters or more) make most of it, where a line of
# code, a listing or a table row is mostly digits, signs and short tokens.
_PROSE_WORDS = 6
_PROSE_LETTERS = 0.8


def _is_prose(text: str) -> bool:
    visible = [c for c in text if not c.isspace()]
    words = re.findall(r"[^\W\d_]{2,}", text)
    return len(words) >= _PROSE_WORDS and sum(c.isalpha() for c in visible) >= _PROSE_LETTERS * len(visible)


def _row_text(lines: list[_PdfLine]) -> str:
    """A row's cells joined by " | ", the text of a wrapped cell put back into its column."""
    columns = [[x, text] for x, text in lines[0].cells]
    for line in lines[1:]:
        for x, text in line.cells or [(line.left, line.text)]:
            nearest = min(columns, key=lambda c: abs(c[0] - x))
            nearest[1] = f"{nearest[1]} {text}"
    return " | ".join(" ".join(text.split()) for _, text in columns)


def _is_heading_size(line: _PdfLine, body_size: float) -> bool:
    return not line.fixed and (line.size >= 1.3 * body_size or (line.size >= 1.1 * body_size and line.bold))


def _right_margins(page: list[_PdfLine], body_size: float, document_margin: float) -> list[float]:
    """The right edges the page's full lines reach, in order, ``document_margin`` among them.

    A justified paragraph's lines all end at one edge, and so do those of a list or a quotation set narrower than
    the page (a description list may end 20 pt before the body), or of each column of a page
    in two: the edges that several lines of a page reach, within a tolerance. One edge for the whole document
    would take every line of a narrower block for the last of its paragraph.
    """
    tolerance = tuning.PDF_EDGE_TOLERANCE * body_size
    lines = [line for line in page if line.text.strip() and not line.fixed]
    is_prose = [_is_prose(line.text) for line in lines]
    prose = [line for line, yes in zip(lines, is_prose, strict=True) if yes]
    ends = sorted(zip((line.right for line in lines), is_prose, strict=True))

    def edge(group: list[tuple[float, bool]]) -> bool:
        # A line of prose among them: a listing's lines of one length (\define@key{...} after \define@key{...})
        # end at one place too, and are no less lines of their own. And fewer lines of prose run on past it than
        # end there: short lines of a wider block (a man page's one-line definitions) end together by chance.
        place = group[-1][0]
        passing = sum(line.left < place < line.right - tolerance for line in prose)
        return len(group) >= tuning.PDF_EDGE_LINES and any(p for _, p in group) and passing < len(group)

    edges, group = [], []
    for end in [*ends, (float("inf"), False)]:
        if group and end[0] - group[0][0] > tolerance:
            if edge(group):
                edges.append(group[-1][0])
            group = []
        group.append(end)
    return sorted({*edges, document_margin})


def _margin_after(right: float, margins: list[float], tolerance: float) -> float:
    """The nearest edge a line ending at ``right`` was set against: the first of ``margins`` it does not pass."""
    return next((m for m in margins if m >= right - tolerance), right)


def _pdf_blocks(page, body_size, heading_sizes, pitch, margins):
    """(kind, level, first line, last line) of each block of a page, from the lines' fonts and places."""
    out = []
    current: list = []  # [kind, level, first, last]
    for k, line in enumerate(page):
        if not line.text.strip():
            if current:
                out.append(tuple(current))
                current = []
            continue
        if _is_heading_size(line, body_size):
            kind, level = HEADING, heading_sizes.index(line.size) + 1
        elif (
            current
            and current[0] == ROW
            and len(line.cells) < 2
            and line.left > page[current[2]].left + 2 * body_size
            and page[k - 1].bottom_y - line.top_y < 1.35 * pitch
            and not CAPTION_START.match(line.text)
        ):
            current[3] = k  # a cell's text (prose or code) wrapped onto the next line: still the row
            continue
        elif line.fixed:
            kind, level = CODE, 0
        elif len(line.cells) >= 2:
            kind, level = ROW, 0
        elif _BULLET.match(line.text):
            kind, level = ITEM, 0
        else:
            kind, level = PARAGRAPH, 0
        if current:
            previous = page[k - 1]
            gap = previous.bottom_y - line.top_y
            same = current[0] == kind or (current[0] == ITEM and kind == PARAGRAPH)
            if kind == HEADING:
                same = same and line.size == previous.size and gap < 2 * pitch
            elif kind == ROW:
                same = False  # a row is a block
            elif kind == CODE:
                same = same and gap < 2.5 * pitch
            else:
                # The line before ends the paragraph when the first word of this one would have fitted after it,
                # before the edge the paragraph's lines reach (its last line may end near a narrower block's
                # edge): the median line's (the lower of two), as a line set too wide (an unbreakable URL)
                # reaches past every edge.
                word = len(line.text.split()[0]) + 1
                reached = statistics.median_low(page[j].right for j in range(current[2], k))
                edge = _margin_after(reached, margins, tuning.PDF_EDGE_TOLERANCE * body_size)
                short = previous.right + word * 0.5 * line.size < edge
                new_item = kind == ITEM
                standalone = previous.bold and not line.bold
                same = same and not short and not new_item and not standalone and -0.5 * pitch < gap < 1.35 * pitch
            if same:
                current[3] = k
                continue
            out.append(tuple(current))
        current = [kind, level, k, k]
    if current:
        out.append(tuple(current))
    return out
